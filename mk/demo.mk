# mk/demo.mk: the main job on the repository's own example plane, run in a
# scratch copy under build/ so that the working tree stays clean.
#
#   make demo    hash the example plane's artifacts, then check them

DEMO = build/demo
DEMO_ARTIFACTS = frameworks

demo: all
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@cp -R registries packages_store $(DEMO_ARTIFACTS) $(DEMO)/
	@echo "== hashing the example plane's artifacts ($(DEMO))"
	cd $(DEMO) && find $(DEMO_ARTIFACTS) -type f -print0 | LC_ALL=C sort -z | \
	  $(CURDIR)/bin/cp-hash -0 -T - --cache .cp-hash.cache --stats > SHA256SUMS
	@cat $(DEMO)/SHA256SUMS
	@echo "== checking them"
	cd $(DEMO) && $(CURDIR)/bin/cp-hash -c SHA256SUMS

.PHONY: demo
