#!/bin/sh
# `cmake --install`: dv, its man pages, the git hooks and both shell
# completion scripts land under the prefix (GNUInstallDirs layout), and the
# installed bash completion works.
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

test_done
