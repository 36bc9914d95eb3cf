# cmake/Package.cmake - the Debian package: `cd build && cpack -G DEB`.
#
# CPack's DEB generator packs what cmake/Install.cmake and agent/ install
# under /usr.  Depends is computed by dpkg-shlibdeps from the libraries the
# binary really links (Vulkan loader, OpenCL ICD loader, GnuTLS, ngtcp2,
# libevent, jansson, libcbor, avahi-client), so it cannot drift from the
# build.  The maintainer scripts in dist/debian/ create the exogpu system
# user and /etc/exogpu; they never enable or start the service
# (docs/packaging.md).  Included once, at the end of the top-level
# CMakeLists.txt.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME exogpu)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "exogpu")
set(CPACK_PACKAGE_CONTACT "exogpu maintainers <exogpu@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
	"peer-to-peer cluster agent for heterogeneous GPU machines")
set(CPACK_PACKAGE_DESCRIPTION
	"exogpu turns a LAN of GPU machines into one cluster: every node runs \
the same agent, agents find each other over mDNS, talk QUIC with mutual \
TLS 1.3, gossip their devices and links, elect a leader, and the leader \
places a model's layers on the devices where decode is fastest.")

# The package installs into /usr whatever CMAKE_INSTALL_PREFIX the build
# was configured with.  CPACK_SET_DESTDIR makes CPack install with
# DESTDIR=<staging> and CMAKE_INSTALL_PREFIX=/usr, so install(CODE) in
# Install.cmake sees the real prefix when it writes the unit's ExecStart.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

# Debug symbols stay in the build tree; the package ships a stripped binary.
set(CPACK_STRIP_FILES TRUE)

set(CPACK_DEBIAN_PACKAGE_NAME exogpu)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)	# exogpu_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Needs dpkg-shlibdeps (dpkg-dev, installed by .ci/setup).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# passwd: useradd/groupadd in postinst (priority required, so always there,
# but the dependency is real).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
# mDNS discovery goes through avahi-daemon; without it the agent runs on
# --join peers only, so it is recommended, not required.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "avahi-daemon")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
	${PROJECT_SOURCE_DIR}/dist/debian/postinst
	${PROJECT_SOURCE_DIR}/dist/debian/prerm
	${PROJECT_SOURCE_DIR}/dist/debian/postrm)
# Maintainer scripts 0755, control files 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
