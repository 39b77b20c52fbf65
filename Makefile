# Control Plane v2 in C: the toolkit build and the plane targets.
# The work is done by the fragments in mk/; this file only puts them together.

include config.mk
include mk/toolkit.mk
include mk/check.mk
include mk/demo.mk

.DEFAULT_GOAL := all
