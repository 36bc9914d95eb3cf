# cmake/Install.cmake - what `cmake --install` (and so the .deb) puts where.
#
# The binary itself is installed by agent/CMakeLists.txt; this file adds
# the operations files around it: man pages, the systemd unit, an example
# config and the documentation.  Paths come from GNUInstallDirs so a
# packager's prefix or DESTDIR applies to all of them.  Included once, at
# the end of the top-level CMakeLists.txt.

set(EXOGPU_DOCDIR ${CMAKE_INSTALL_DOCDIR})

# Man pages, hand-written in man(7) macros (docs/packaging.md).
install(FILES ${PROJECT_SOURCE_DIR}/man/exogpu.1
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/man/exogpu.conf.5
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_SOURCE_DIR}/man/exogpu-agent.8
	DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

# The systemd unit.  systemd looks in <prefix>/lib/systemd/system for
# /usr (LIBDIR would be the multiarch lib/x86_64-linux-gnu, the wrong
# place).  dist/exogpu.service names /usr/bin/exogpu, where the package
# puts it; an install under another prefix gets its own path written in.
# With CPack, Package.cmake sets CPACK_SET_DESTDIR so CMAKE_INSTALL_PREFIX
# is the package's /usr here, not the staging directory.
install(CODE "
	set(_unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
	set(_bin \"${CMAKE_INSTALL_BINDIR}/exogpu\")
	if(NOT IS_ABSOLUTE \"\${_bin}\")
		set(_bin \"\${CMAKE_INSTALL_PREFIX}/\${_bin}\")
	endif()
	file(READ \"${PROJECT_SOURCE_DIR}/dist/exogpu.service\" _unit)
	string(REPLACE \"ExecStart=/usr/bin/exogpu \" \"ExecStart=\${_bin} \"
	    _unit \"\${_unit}\")
	file(MAKE_DIRECTORY \"\${_unit_dir}\")
	file(WRITE \"\${_unit_dir}/exogpu.service\" \"\${_unit}\")
	message(STATUS \"Installing: \${_unit_dir}/exogpu.service\")
")

# The example config, twice: for reading in the docs, and as the template
# postinst copies to /etc/exogpu/exogpu.conf when that file does not exist
# yet (never over an operator's file).  postinst must not read it from
# /usr/share/doc: minimal systems and container images often exclude that
# tree from installation (dpkg path-exclude).
install(FILES ${PROJECT_SOURCE_DIR}/dist/exogpu.conf
	DESTINATION ${EXOGPU_DOCDIR} RENAME exogpu.conf.example)
install(FILES ${PROJECT_SOURCE_DIR}/dist/exogpu.conf
	DESTINATION ${CMAKE_INSTALL_DATADIR}/exogpu)

# The reference documentation (Markdown, read as is) and the example
# cluster and model files it refers to.
install(FILES ${PROJECT_SOURCE_DIR}/README.md
	DESTINATION ${EXOGPU_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
	DESTINATION ${EXOGPU_DOCDIR}/docs
	FILES_MATCHING PATTERN "*.md" PATTERN "*.json")
