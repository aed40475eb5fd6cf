# The packages' compiler and linker flags, in one place: debian/rules includes
# this file and scripts/package-flags.sh hands the same flags to the tested tree.
export DEB_BUILD_MAINT_OPTIONS = hardening=+all
# No debug information: it triples the build time on small builders and no
# -dbgsym package is published.
export DEB_CFLAGS_MAINT_STRIP = -g
export DEB_CXXFLAGS_MAINT_STRIP = -g
