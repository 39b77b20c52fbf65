# mk/demo.mk: the main job on the repository's own example plane, run in a
# scratch copy under build/ so that the working tree stays clean:
# validate, sync, pack, remove and reinstall a framework, install the module
# and the external package (into a scratch $HOME), integrity, ledger verify.
#
#   make demo
# SPDX-License-Identifier: ISC

DEMO = build/demo
DEMO_HOME = build/demo-home
DEMO_PLANE = registries packages_store installed ledger frameworks modules examples
# The example plane pins the hmac provider (registries/plane.conf): the demo
# makes a secret in its scratch $HOME, outside the plane, and acts as alice,
# an admin in registries/roles.csv.
DEMO_ENV = HOME=$(CURDIR)/$(DEMO_HOME) CONTROL_PLANE_SECRETS_FILE=$(CURDIR)/$(DEMO_HOME)/secrets.env
DEMO_MAKE = $(DEMO_ENV) CONTROL_PLANE_TOKEN=$$(cat $(DEMO_HOME)/token) $(MAKE) --no-print-directory -C $(DEMO)

demo: all
	@rm -rf $(DEMO) $(DEMO_HOME) && mkdir -p $(DEMO) $(DEMO_HOME)
	@cp -R $(DEMO_PLANE) $(DEMO)/
	@printf 'CP_ROOT := $$(CURDIR)\nCP_BIN := %s\ninclude %s\n' \
	  '$(CURDIR)/bin' '$(CURDIR)/mk/plane.mk' > $(DEMO)/Makefile
	@echo "== a scratch copy of the example plane: $(DEMO) (its Makefile includes mk/plane.mk)"
	@echo "== cp-authz init: a secret in $(DEMO_HOME), and alice's token"
	@$(DEMO_ENV) bin/cp-authz -C $(DEMO) init alice > $(DEMO_HOME)/token
	@echo "== make validate" && $(DEMO_MAKE) validate
	@echo "== make sync" && $(DEMO_MAKE) sync
	@echo "== make pack (sources unchanged: the archive stays byte-identical)"
	@$(DEMO_MAKE) pack SRC=frameworks/FMWK-200_ledger_protocol.md ID=PKG-FMWK-200
	@echo "== make remove, then make install" 
	@$(DEMO_MAKE) remove PKG=PKG-FMWK-200
	@$(DEMO_MAKE) install PKG=PKG-FMWK-200
	@$(DEMO_MAKE) install PKG=PKG-FMWK-200
	@echo "== make install of the external package (into $(DEMO_HOME), outside the plane)"
	@$(DEMO_MAKE) install PKG=PKG-EXT-HELLO
	@$(DEMO_HOME)/.local/share/cp-example/ext-hello/bin/cp-hello
	@echo "== make ledger-verify" && $(DEMO_MAKE) ledger-verify
	@echo "== make integrity" && $(DEMO_MAKE) integrity
	@$(DEMO_MAKE) integrity-json > $(DEMO)/integrity.json
	@echo "== the JSON report: $(DEMO)/integrity.json"

.PHONY: demo
