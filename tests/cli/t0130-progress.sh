#!/bin/sh
# Progress of local work: dv add, commit, checkout and a first status draw
# one bar of files, bytes, rate and time left on stderr (DV_PROGRESS=1
# stands in for a terminal, as for push and pull), erased before other
# output; nothing when stderr is not a terminal, nothing with -q.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
make_file big.bin 3000000 big
mkdir -p dir
for i in 1 2 3 4 5 6 7 8; do make_file dir/f$i 20000 s$i; done
cd ..

# bar_lines FILE: the bar's states, one a line
bar_lines() { tr '\r' '\n' <"$1" | sed 's/\x1b\[K//g' | grep . || true; }

test_case 'dv add draws files and bytes read, ending at 100%' '
	cd repo && DV_PROGRESS=1 dv add big.bin dir >out 2>err &&
	bar_lines err >bar && cat bar &&
	grep -E "^Adding: 100% 9/9 files, 3\.[0-9] MiB, [0-9.]+ [KMG]?i?B/s$" bar &&
	grep -x "added big.bin (big.bin.stage)" out && ! grep -F "Adding" out
'

test_case 'a first status hashes with a bar' '
	cd repo && rm -f .dv/state && DV_PROGRESS=1 dv status >out 2>err &&
	bar_lines err >bar && grep -E "^Hashing: 100% 9/9 files, 3\.[0-9] MiB, " bar &&
	DV_PROGRESS=1 dv status >out 2>err && bar_lines err >bar && grep -E "^Hashing: 100%" bar
'

test_case 'checkout and commit draw their bars' '
	cd repo && rm big.bin dir/f1 && DV_PROGRESS=1 dv checkout >out 2>err &&
	bar_lines err >bar && grep -E "^Checking out: 100% 9/9 files" bar &&
	echo more >>dir/f2 && DV_PROGRESS=1 dv commit -f dir >out 2>err &&
	bar_lines err >bar && grep -E "^Committing: 100% 8/8 files" bar
'

# Many files: their sizes are learnt only as each is opened, so the files
# count and the bytes read so far are shown; one file: bytes of its size.
test_case 'small files in a link cache count their bytes; one file shows its size' '
	new_repo links && cd links && dv config cache.type hardlink &&
	mkdir d && for i in 1 2 3 4 5 6 7 8 9 10; do make_file d/f$i 10240 l$i; done &&
	DV_PROGRESS=1 dv add d >out 2>err && bar_lines err >bar && cat bar &&
	grep -E "^Adding: 100% 10/10 files, 100\.0 KiB, [0-9.]+ [KMG]?i?B/s$" bar &&
	make_file one.bin 3145728 one && DV_PROGRESS=1 dv add one.bin >out 2>err &&
	bar_lines err >bar && cat bar && grep -E "^Adding: 100% 1/1 files, 3\.0 MiB/3\.0 MiB, " bar &&
	rm -r d && DV_PROGRESS=1 dv checkout d >out 2>err && bar_lines err >bar &&
	grep -E "^Checking out: 100% 10/10 files, " bar
'

test_case 'nothing on stderr when it is not a terminal, nor with -q' '
	cd repo && rm -f .dv/state && echo x >>dir/f3 && dv add dir >out 2>err && test ! -s err &&
	rm -f .dv/state && dv status >out 2>err && test ! -s err &&
	rm dir/f4 && dv checkout >out 2>err && test ! -s err &&
	echo y >>dir/f5 && DV_PROGRESS=1 dv add -q dir 2>err && test ! -s err
'

if command -v script >/dev/null; then
	# A terminal (script(1) gives dv one) without DV_PROGRESS: the bar
	# appears by itself; the half second it waits for is shortened so
	# that a small file shows it.
	test_case 'on a terminal the bar is drawn by itself, then erased' '
		cd repo && make_file tty.bin 2000000 tty &&
		DV_TEST_PROGRESS_DELAY_MS=0 script -qec "\"$DV\" add tty.bin" /dev/null >tty.out &&
		tr "\r" "\n" <tty.out | sed "s/\x1b\[K//g" >lines &&
		grep -E "^Adding: +[0-9]+% [01]/1 files, .*B/s" lines &&
		grep -x "added tty.bin (tty.bin.stage)" lines &&
		grep -F "$(printf "\r\033[Kadded tty.bin")" tty.out
	'
else
	test_skip 'on a terminal the bar is drawn by itself, then erased' 'no script(1)'
fi

test_done
