# mk/plane.mk: the plane targets.  Any directory holding registries/ becomes
# a plane with a two-line Makefile:
#
#   CP_ROOT := $(CURDIR)
#   include /usr/local/share/cp/plane.mk
#
# Make decides what needs doing (a pack whose sources are older than its
# stamp, a compiled view older than its registry); cp-plane(1) does each
# state-changing step as one authorized, ledgered transaction.  No make
# variable is ever spliced into a shell command: values reach the recipes
# through the environment.  `make help` lists the targets and variables.
# SPDX-License-Identifier: ISC

CP_ROOT ?= $(CURDIR)
# A plane's own Makefile names no goal before this fragment: then `make`
# alone prints `make help` (set at the end), never runs the first target.
CP_GOAL_UNSET := $(if $(.DEFAULT_GOAL),,1)
# make's own chatter ("make: Entering directory" with -C) stays off standard
# output, so `make -C plane list JSON=1 | jq .` reads JSON only.
MAKEFLAGS += --no-print-directory
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
export FORCE FULL STRICT JSON DRY_RUN CP_GOVERNED CP_ORPHAN_SUFFIXES

# PKG, SRC and ID reach cp-plane through the environment, never as shell
# text: each is taken literally (a "$(...)" in one is not expanded by make
# either) and exported, and cp-plane reads them itself when given no operand,
# so the recipes hold no quoting and make runs cp-plane without a shell.
override PKG := $(value PKG)
override SRC := $(value SRC)
override ID := $(value ID)
override ADMIN := $(value ADMIN)
override LABEL := $(value LABEL)
override VER := $(value VER)
override USERS := $(value USERS)
override FILE := $(value FILE)
override Q := $(value Q)
# The switches and scan settings too: their text is never make's to expand.
override FORCE := $(value FORCE)
override JSON := $(value JSON)
override DRY_RUN := $(value DRY_RUN)
override FULL := $(value FULL)
override STRICT := $(value STRICT)
override CP_GOVERNED := $(value CP_GOVERNED)
override CP_ORPHAN_SUFFIXES := $(value CP_ORPHAN_SUFFIXES)
export PKG SRC ID ADMIN USERS FILE Q LABEL VER
CP_PLANE = cp-plane $(if $(filter 1,$(FORCE)),--force) $(if $(filter 1,$(JSON)),--json)

# A package id as cp-plane takes it (one word of [A-Za-z0-9._-]): only then
# does make name a stamp after it.
CP_ID_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z \
	A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 . _ -
cp_strip = $(if $2,$(call cp_strip,$(subst $(firstword $2),,$1),$(wordlist 2,$(words $2),$2)),$1)
cp_id_ok = $(and $(filter 1,$(words $1)),$(if $(call cp_strip,$1,$(CP_ID_CHARS)),,ok))
# Every file and directory under $1 (make's wildcard: no shell).
cp_rwild = $(foreach d,$(wildcard $1/*),$d $(call cp_rwild,$d))

# --- pack: rerun only when a source file, the registry or the archive changed.
# cp-plane writes the stamp (.cp/pack/ID.stamp: SRC) in the pack's transaction,
# beneath the plane without following a symlink.
# The names under SRC become prerequisites only when each is a plain name
# that exists as make reads it (no blank, no ';', ':', '$', '#'...): a file
# name is never make syntax.  Otherwise every make pack runs cp-plane, which
# says "up to date" when the archive would be the same bytes.
CP_PACK_INPUTS := $(if $(and $(SRC),$(filter 1,$(words $(SRC)))),$(wildcard $(SRC)) $(call cp_rwild,$(SRC)))
cp_plain = $(and $(if $(strip $(call cp_strip,$1,$(CP_ID_CHARS) / +)),,ok),$(if $(filter-out $(wildcard $1),$1),,ok))
ifneq ($(and $(SRC),$(ID),$(call cp_id_ok,$(ID)),$(filter 1,$(words $(SRC))),$(call cp_plain,$(SRC) $(CP_PACK_INPUTS))),)
CP_PACK_STAMP := $(CP_STATE)/pack/$(ID).stamp
CP_PACK_ARCHIVE := $(CP_ROOT)/packages_store/$(ID).tar.gz
# A stamp of another SRC, or an archive gone, means a real pack.
CP_PACK_FORCE := $(if $(filter 1,$(JSON) $(DRY_RUN)),cp-force,$(if $(and $(wildcard $(CP_PACK_STAMP)),$(wildcard $(CP_PACK_ARCHIVE))),$(if $(filter-out $(SRC),$(file < $(CP_PACK_STAMP))),cp-force),cp-force))
pack: $(CP_PACK_STAMP)
$(CP_PACK_STAMP): $(CP_PACK_INPUTS) $(wildcard $(CP_REG_PKG) $(CP_PACK_ARCHIVE)) $(CP_PACK_FORCE) | $(CP_TOOLS)
	@$(CP_PLANE) pack
else ifneq ($(or $(SRC),$(ID)),)
# Not names make can stamp (cp-plane says what is wrong with them, if anything).
pack: | $(CP_TOOLS)
	@$(CP_PLANE) pack
else
pack:
	@echo 'usage: make pack SRC=path ID=PKG-...' >&2; exit 2
endif

plane-install: | $(CP_TOOLS)
	@$(CP_PLANE) install
remove: | $(CP_TOOLS)
	@$(CP_PLANE) remove
update: | $(CP_TOOLS)
	@$(CP_PLANE) update
recover: | $(CP_TOOLS)
	@cp-plane recover
# A plane the Python tools built: ADMIN=user (whose token you give), USERS="bob:maintainer ..."
adopt: | $(CP_TOOLS)
	@$(CP_PLANE) adopt

# Versions, as the Python tools had them: versions/VER-<UTC time>.json.
checkpoint: | $(CP_TOOLS)
	@$(CP_PLANE) checkpoint
versions: | $(CP_TOOLS)
	@cp-plane $(if $(filter 1,$(JSON)),--json) versions
rollback: | $(CP_TOOLS)
	@$(CP_PLANE) rollback

# A plane of its own (not the toolkit's repository): install means a package.
ifndef CP_TOOLKIT
install: plane-install
endif

# --- sync: the compiled view, rebuilt only when the registry changed
sync: $(CP_COMPILED)
$(CP_COMPILED): $(CP_REG_PKG) | $(CP_TOOLS)
	@cp-regrow -f "$$CP_ROOT/registries/packages_registry.csv" --root "$$CP_ROOT" \
	  -o registries/compiled/packages.json sync || exit 2
	@echo "sync: registries/compiled/packages.json" >&2

validate: | $(CP_TOOLS)
	@p="$$CP_ROOT/registries/packages_registry.csv"; c="$$CP_ROOT/registries/control_plane_registry.csv"; \
	if [ ! -f "$$p" ]; then echo "validate: no registries/packages_registry.csv in $$CP_ROOT (make init makes a plane)" >&2; exit 2; fi; \
	j=; [ "$$JSON" != 1 ] || { j=--json; printf '{"packages":'; }; \
	s=0; cp-regrow -f "$$p" --root "$$CP_ROOT" $$j validate --kind packages || s=$$?; \
	[ -z "$$j" ] || printf ',"control_plane":'; \
	if [ -f "$$c" ]; then cp-regrow -f "$$c" $$j validate --kind control-plane || \
	  { r=$$?; [ $$r -gt $$s ] && s=$$r; }; \
	elif [ -n "$$j" ]; then printf 'null'; fi; \
	[ -z "$$j" ] || printf ',"exit":%d}\n' "$$s"; \
	[ $$s -ne 0 ] || echo 'validate: both registries are valid' >&2; \
	exit $$s

# --- integrity: one cp-integrity run.  Its state file proves an unchanged
# plane by lstat alone; the hash cache spares the files that did not change.
CP_INTEGRITY = cp-integrity -C "$$CP_ROOT" --cache "$$CP_ROOT/.cp/hash.cache" \
	--state "$$CP_ROOT/.cp/integrity.state" \
	$(if $(filter 1,$(FULL)),--full) $(if $(filter 1,$(STRICT)),--strict) \
	$(if $(CP_GOVERNED),--governed "$$CP_GOVERNED") \
	$(if $(CP_ORPHAN_SUFFIXES),--suffixes "$$CP_ORPHAN_SUFFIXES")
integrity: | $(CP_TOOLS) $(CP_STATE)
	@$(CP_INTEGRITY) $(if $(filter 1,$(JSON)),--json)
integrity-json: | $(CP_TOOLS) $(CP_STATE)
	@$(CP_INTEGRITY) --json
manifest: | $(CP_TOOLS)
	@$(CP_PLANE) manifest
$(CP_STATE):
	@[ ! -d "$$CP_ROOT/registries" ] || mkdir -p "$$CP_ROOT/.cp"
# The chain, and the plane's own checkpoint ledger/checkpoint (kept by every
# cp-plane step; signed by a key of registries/keys/ when signed or required).
ledger-verify: | $(CP_TOOLS)
	@[ -d "$$CP_ROOT/ledger" ] || { echo "ledger-verify: no ledger/ in $$CP_ROOT (make init starts one)" >&2; exit 2; }
	@cp-ledger -C "$$CP_ROOT" $(if $(filter 1,$(JSON)),--json) verify --checkpoint $(if $(filter 1,$(STRICT)),--strict)

# --- init and the read-only queries: cp-plane init, list, show PKG=, owns FILE=,
# verify [PKG=], search Q= (values through the environment, as for install)
init: | $(CP_TOOLS)
	@$(CP_PLANE) init
list show owns verify search: | $(CP_TOOLS)
	@$(CP_PLANE) $@

plane-help:
	@printf 'Plane targets (the plane: CP_ROOT=%s):\n' "$$CP_ROOT"
	@echo '  make pack SRC=path ID=PKG-...   pack SRC into packages_store/ID.tar.gz (+ .sha256)'
	@echo '  make install PKG=ID [FORCE=1]   verify the digest, extract safely, keep a receipt'
	@echo '  make update PKG=ID [FORCE=1]    install the row'"'"'s new digest over the receipt'
	@echo '  make remove PKG=ID [FORCE=1]    remove exactly the files of the receipt'
	@echo '  DRY_RUN=1 on pack, install, update, remove: print the plan, change nothing'
	@echo '  make sync                       registries/compiled/packages.json'
	@echo '  make validate                   check both registries'
	@echo '  make integrity [FULL=1] [STRICT=1] [JSON=1]   hashes, orphans, Merkle root, ledger'
	@echo '  make integrity-json             the same report as JSON'
	@echo '  make manifest                   regenerate MANIFEST.json (rfc6962 root; admin)'
	@echo '  make recover                    finish or roll back a step a crash interrupted'
	@echo '  make adopt ADMIN=user [USERS="bob:maintainer ..."]   take over a Python-built plane'
	@echo '  make ledger-verify [STRICT=1]   verify ledger/: its chain, and that it extends ledger/checkpoint'
	@echo '  make init [ADMIN=user]          make this directory a plane (then: cp-authz init USER)'
	@echo '  make list                       installed packages: id, version, digest, destination, files'
	@echo '  make show PKG=ID                the row, install state, dependencies and dependents'
	@echo '  make owns FILE=path             which package installed a file (exit 1: none)'
	@echo '  make verify [PKG=ID]            installed files against receipts (exit 1: changed, missing)'
	@echo '  make search Q=text              packages whose id, name or category holds text'
	@echo '  JSON=1 on validate, ledger-verify, list, show, owns, verify, search, install, update,'
	@echo '  remove, pack, integrity: one JSON object on standard output, make'"'"'s chatter off it'
	@echo '  make checkpoint [LABEL=text]    snapshot registries + Merkle root into versions/ (admin)'
	@echo '  make versions                   list the checkpoints'
	@echo '  make rollback VER=VER-... [FORCE=1]   back to a checkpoint (admin)'
	@printf 'Variables: CP_ROOT CP_BIN CP_GOVERNED="%s"\n' "$${CP_GOVERNED:-frameworks scripts lib prompts modules specs}"
	@printf '  CP_ORPHAN_SUFFIXES="%s"\n' "$${CP_ORPHAN_SUFFIXES:-.py .md .csv .json .yaml .yml}"
	@echo '  CONTROL_PLANE_TOKEN, CONTROL_PLANE_AUTH_PROVIDER (see cp-authz(1)); JSON=1: cp-plane --json'
	@echo 'Every state-changing target is one cp-plane(1) call: authorized, one transaction, ledgered.'

ifndef CP_TOOLKIT
help: plane-help
endif

cp-force:

.PHONY: pack plane-install install remove update sync validate integrity integrity-json \
	manifest ledger-verify plane-help help cp-force recover adopt init list show owns verify \
	search checkpoint versions rollback

ifeq ($(CP_GOAL_UNSET),1)
.DEFAULT_GOAL := help
endif
