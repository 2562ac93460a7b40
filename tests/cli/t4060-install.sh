#!/bin/sh
# `cmake --install`: dv, its man pages, the git hooks and both shell
# completion scripts land under the prefix (GNUInstallDirs layout), and the
# installed bash completion works.  The installed dv finds its network
# remotes module (lib/dv/dv-remote.so) from its own location, and says so
# clearly when the module is missing.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

if [ -z "${DV_BUILD_DIR:-}" ] || [ ! -f "$DV_BUILD_DIR/cmake_install.cmake" ]; then
	skip_all 'DV_BUILD_DIR does not name a configured build directory'
fi
command -v cmake >/dev/null 2>&1 || skip_all 'no cmake'

PREFIX=$TRASH/prefix

test_case 'cmake --install puts every file in its place' '
	cmake --install "$DV_BUILD_DIR" --prefix "$PREFIX" >log &&
	test -x "$PREFIX/bin/dv" &&
	test -f "$PREFIX/share/man/man1/dv-remote.1" &&
	test -f "$PREFIX/share/man/man5/dv-config.5" &&
	test -x "$PREFIX/share/dv/hooks/pre-push" &&
	test -f "$PREFIX/lib/dv/dv-remote.so" &&
	cmp "$DV_SOURCE_DIR/contrib/completion/dv.bash" "$PREFIX/share/bash-completion/completions/dv" &&
	cmp "$DV_SOURCE_DIR/contrib/completion/_dv" "$PREFIX/share/zsh/vendor-completions/_dv"
'

if command -v bash >/dev/null 2>&1; then
	test_case 'the installed bash completion completes dv' '
		bash -c "
			. \"$PREFIX/share/bash-completion/completions/dv\"
			COMP_WORDS=(dv remote ren); COMP_CWORD=2
			_dv
			printf \"%s\n\" \"\${COMPREPLY[@]}\"
		" >out &&
		printf "rename\n" >expect && test_cmp expect out
	'
else
	test_skip 'the installed bash completion completes dv' 'no bash'
fi

test_case 'the installed dv loads its network remotes from lib/dv' '
	new_repo repo &&
	cd repo &&
	make_file data.bin 1000 &&
	"$PREFIX/bin/dv" add -q data.bin &&
	"$PREFIX/bin/dv" remote add -d web http://127.0.0.1:1/store &&
	rm -rf .dv/cache/files &&
	expect_code 1 "$PREFIX/bin/dv" fetch 2>err &&
	assert_contains err "dv: error:" &&
	assert_not_contains err "dv-remote.so" &&
	"$PREFIX/bin/dv" remote add -d far ssh://127.0.0.1:1/store &&
	expect_code 1 "$PREFIX/bin/dv" push 2>err &&
	assert_not_contains err "dv-remote.so" &&
	"$PREFIX/bin/dv" status >/dev/null
'

test_case 'without its module, the installed dv names it and the fix' '
	cd repo &&
	mv "$PREFIX/lib/dv/dv-remote.so" "$TRASH/dv-remote.so" &&
	expect_error 1 "cannot load dv'"'"'s network remotes (dv-remote.so)" "$PREFIX/bin/dv" push &&
	assert_contains "$TEST_ROOT/stderr" "cmake --install" &&
	"$PREFIX/bin/dv" status >/dev/null &&
	mv "$TRASH/dv-remote.so" "$PREFIX/lib/dv/dv-remote.so"
'

test_done
