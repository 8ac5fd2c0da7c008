# Time-traveling Xen: top-level build.
#
#   make deps      install the Debian packages the build needs (idempotent)
#   make world     TT Xen, TT Linux, the Swift tools, boot entries, guest images
#   make install   put it on this host (DESTDIR=, PREFIX= honoured)
#   make check     unit tests and lab scenarios; ends with "N passed, N failed"
#   make demo      build, boot the lab, run a guest with its console shown
#   make bench     print the build and lab figures (no assertions)
#
# Everything built goes to $(OUT); downloads are cached in $(TT_CACHE),
# outside the clone, so that a second build does not fetch them again.

OUT      ?= $(CURDIR)/out
TT_CACHE ?= /var/cache/tt-xen
PREFIX   ?= /usr
DESTDIR  ?=
export OUT TT_CACHE PREFIX DESTDIR

SUBDIRS := xen linux-guest swift-tools grub images

.PHONY: all world deps xen linux swift grub images install check unit-test lab-test demo bench clean distclean

all: world

deps:
	@bash scripts/deps.sh

world: deps
	$(MAKE) xen linux swift grub images
	@echo "tt-xen: world built in $(OUT)"

xen:
	$(MAKE) -C xen
linux:
	$(MAKE) -C linux-guest
swift:
	$(MAKE) -C swift-tools
grub:
	$(MAKE) -C grub
images:
	$(MAKE) -C images

install:
	@bash scripts/check-destdir.sh "$(DESTDIR)"
	for d in $(SUBDIRS); do $(MAKE) -C $$d install || exit 1; done
	@if [ -z "$(DESTDIR)" ]; then \
		if command -v update-grub >/dev/null; then update-grub; \
		else echo "tt-xen: update-grub not found; run it once GRUB is installed"; fi; \
	fi

# Unit tests, then the lab. The closing line of each runner is printed
# as it is; scripts/check.sh prints the overall "N passed, N failed".
check: world
	@bash scripts/check.sh

unit-test:
	$(MAKE) -C xen unit-test
	$(MAKE) -C swift-tools check

lab-test: world
	$(MAKE) -C xen debug
	@bash lab/run.sh all

demo: world
	@bash lab/demo.sh

bench: world
	@bash bench/run.sh

clean:
	rm -rf $(OUT)

distclean: clean
	rm -rf $(TT_CACHE)
