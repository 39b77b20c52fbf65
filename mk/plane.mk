# mk/plane.mk: the plane targets.  Any directory holding registries/ becomes
# a plane with a two-line Makefile:
#
#   CP_ROOT := $(CURDIR)
#   include /usr/local/share/cp/plane.mk
#
# Make decides what needs doing (a pack whose sources are older than its
# stamp, a compiled view older than its registry); mk/plane.sh does each step
# under the plane's lock, composing cp-authz, cp-regrow, cp-tar, cp-hash,
# cp-merkle and cp-ledger.  `make help` lists the targets and variables.

CP_ROOT ?= $(CURDIR)
CP_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
# Where the cp-* programs are; empty: found on PATH.
CP_BIN ?=
CP_STATE = $(CP_ROOT)/.cp
CP_REG_PKG = $(CP_ROOT)/registries/packages_registry.csv
CP_REG_CP = $(CP_ROOT)/registries/control_plane_registry.csv
CP_COMPILED = $(CP_ROOT)/registries/compiled/packages.json
# A prerequisite of every plane step (the toolkit build, in the repository).
CP_TOOLS ?=

ifneq ($(CP_BIN),)
export PATH := $(CP_BIN):$(PATH)
endif
export CP_ROOT CONTROL_PLANE_ROOT := $(CP_ROOT)
export FORCE FULL STRICT JSON CP_GOVERNED CP_ORPHAN_SUFFIXES

CP_PLANE = bash $(CP_MK_DIR)/plane.sh

# --- pack: rerun only when a source file, the registry or the archive changed
ifneq ($(and $(SRC),$(ID)),)
CP_PACK_STAMP := $(CP_STATE)/pack/$(ID).stamp
CP_PACK_ARCHIVE := $(CP_ROOT)/packages_store/$(ID).tar.gz
CP_PACK_INPUTS := $(shell find '$(SRC)' -type f 2>/dev/null | sed 's/ /\\ /g')
# A stamp of another SRC, or an archive gone, means a real pack.
CP_PACK_FORCE := $(if $(and $(wildcard $(CP_PACK_STAMP)),$(wildcard $(CP_PACK_ARCHIVE))),$(if $(filter-out $(SRC),$(file < $(CP_PACK_STAMP))),cp-force),cp-force)
pack: $(CP_PACK_STAMP)
$(CP_PACK_STAMP): $(CP_PACK_INPUTS) $(wildcard $(CP_REG_PKG) $(CP_PACK_ARCHIVE)) $(CP_PACK_FORCE) | $(CP_TOOLS)
	@$(CP_PLANE) pack '$(SRC)' '$(ID)'
	@mkdir -p '$(@D)' && printf '%s\n' '$(SRC)' > '$@'
else
pack:
	@echo 'usage: make pack SRC=path ID=PKG-...' >&2; exit 2
endif

plane-install: | $(CP_TOOLS)
	@$(CP_PLANE) install '$(PKG)'
remove: | $(CP_TOOLS)
	@$(CP_PLANE) remove '$(PKG)'
update: | $(CP_TOOLS)
	@$(CP_PLANE) update '$(PKG)'

# A plane of its own (not the toolkit's repository): install means a package.
ifndef CP_TOOLKIT
install: plane-install
endif

# --- sync: the compiled view, rebuilt only when the registry changed
sync: $(CP_COMPILED)
$(CP_COMPILED): $(CP_REG_PKG) | $(CP_TOOLS)
	@mkdir -p '$(@D)'
	@cp-regrow -f '$<' sync > '$@.tmp' && mv -f '$@.tmp' '$@' || { rm -f '$@.tmp'; exit 2; }
	@echo "sync: $(@:$(CP_ROOT)/%=%)" >&2

validate: | $(CP_TOOLS)
	@s=0; \
	cp-regrow -f '$(CP_REG_PKG)' validate --kind packages || s=$$?; \
	if [ -f '$(CP_REG_CP)' ]; then cp-regrow -f '$(CP_REG_CP)' validate --kind control-plane || \
	  { r=$$?; [ $$r -gt $$s ] && s=$$r; }; fi; \
	[ $$s -ne 0 ] || echo 'validate: both registries are valid' >&2; \
	exit $$s

# --- integrity: one cp-integrity run.  Its state file proves an unchanged
# plane by lstat alone; the hash cache spares the files that did not change.
CP_INTEGRITY = cp-integrity -C '$(CP_ROOT)' --cache '$(CP_STATE)/hash.cache' \
	--state '$(CP_STATE)/integrity.state' \
	$(if $(filter 1,$(FULL)),--full) $(if $(filter 1,$(STRICT)),--strict) \
	$(if $(CP_GOVERNED),--governed '$(CP_GOVERNED)') \
	$(if $(CP_ORPHAN_SUFFIXES),--suffixes '$(CP_ORPHAN_SUFFIXES)')
integrity: | $(CP_TOOLS) $(CP_STATE)
	@$(CP_INTEGRITY) $(if $(filter 1,$(JSON)),--json)
integrity-json: | $(CP_TOOLS) $(CP_STATE)
	@$(CP_INTEGRITY) --json
manifest: | $(CP_TOOLS)
	@$(CP_PLANE) manifest
$(CP_STATE):
	@mkdir -p '$@'
ledger-verify: | $(CP_TOOLS)
	@cp-ledger -C '$(CP_ROOT)' verify

plane-help:
	@echo 'Plane targets (the plane: CP_ROOT=$(CP_ROOT)):'
	@echo '  make pack SRC=path ID=PKG-...   pack SRC into packages_store/ID.tar.gz (+ .sha256)'
	@echo '  make install PKG=ID [FORCE=1]   verify the digest, extract safely, keep a receipt'
	@echo '  make update PKG=ID [FORCE=1]    install the row'"'"'s new digest over the receipt'
	@echo '  make remove PKG=ID [FORCE=1]    remove exactly the files of the receipt'
	@echo '  make sync                       registries/compiled/packages.json'
	@echo '  make validate                   check both registries'
	@echo '  make integrity [FULL=1] [STRICT=1] [JSON=1]   hashes, orphans, Merkle root, ledger'
	@echo '  make integrity-json             the same report as JSON'
	@echo '  make manifest                   regenerate MANIFEST.json (rfc6962 root)'
	@echo '  make ledger-verify              verify the hash chain of ledger/'
	@echo 'Variables: CP_ROOT CP_BIN CP_GOVERNED="$(or $(CP_GOVERNED),frameworks scripts lib prompts modules specs)"'
	@echo '  CP_ORPHAN_SUFFIXES="$(or $(CP_ORPHAN_SUFFIXES),.py .md .csv .json .yaml .yml)"'
	@echo '  CONTROL_PLANE_TOKEN, CONTROL_PLANE_AUTH_PROVIDER (see cp-authz(1))'

ifndef CP_TOOLKIT
help: plane-help
endif

cp-force:

.PHONY: pack plane-install install remove update sync validate integrity integrity-json \
	manifest ledger-verify plane-help help cp-force
