#!/bin/sh
# dv add with cache.type symlink and hardlink: the file is linked into the
# cache (no copy), one stat per file and no access probe, and what a
# killed add leaves behind is finished by the rerun (cache.c's header
# states the argument; tests/crash/run.sh kills it for real).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# mkdata DIR: 40 files in two folders, two of them with the same bytes.
mkdata() {
	mkdir -p "$1/a" "$1/b" &&
	i=0 && while [ $i -lt 40 ]; do
		make_file "$1/$(if [ $i -lt 20 ]; then echo a; else echo b; fi)/f$i" $((1000 + i * 37)) "x$i" || return 1
		i=$((i + 1))
	done &&
	cp "$1/a/f3" "$1/b/same-as-f3"
}

# linked_ok TYPE DIR: every file under DIR is what TYPE leaves, its object
# read-only and holding the original bytes (sums in ../orig.sums).
linked_ok() {
	for f in $(find "$2" -type f -o -type l | sort); do
		case $1 in
		symlink)
			test -L "$f" || { echo "not a symlink: $f"; return 1; }
			# "../" per directory above the file, then the alias
			# .dv/o to the objects (short, and the tree can move).
			up=$(echo "$f" | sed "s|[^/]*/|../|g; s|[^/]*\$||")
			case "$(readlink "$f")" in "${up}.dv/o/"[0-9a-f][0-9a-f]/*) ;; *) echo "bad target: $f -> $(readlink "$f")"; return 1 ;; esac
			obj=$(readlink -f "$f")
			case "$obj" in */.dv/cache/files/xxh128/*) ;; *) echo "not into the cache: $f -> $obj"; return 1 ;; esac ;;
		hardlink)
			test ! -L "$f" && test "$(stat -c %h "$f")" -ge 2 || { echo "not hard-linked: $f"; return 1; }
			obj=$f ;;
		esac
		test "$(stat -L -c %a "$obj")" = 444 || { echo "object of $f is not read-only"; return 1; }
	done &&
	xxhsum -H2 $(find "$2" \( -type f -o -type l \) | sort) >got.sums &&
	test_cmp ../orig.sums got.sums
}

for type in symlink hardlink; do
	test_case "cache.type $type: add links every file in, status is clean" "
		git init -q $type && cd $type && dv init -q &&
		dv config cache.type $type &&
		mkdata data && xxhsum -H2 \$(find data -type f | sort) >../orig.sums &&
		dv add -q data &&
		linked_ok $type data &&
		dv status --exit-code &&
		dv fsck -q
	"

	test_case "cache.type $type: adding again changes nothing" "
		cd $type && cp data.stage before &&
		dv add -q data && test_cmp before data.stage &&
		linked_ok $type data
	"

	test_case "cache.type $type: checkout after rm -rf brings the links back" "
		cd $type && rm -rf data &&
		dv checkout -q data && linked_ok $type data &&
		dv status --exit-code
	"
done

# syscalls_ok TRACE: what `strace -y -f` saw of adding mkdata's 41 files:
# none probed with access(), each stat-ed by name once (the walk; the one
# whose object is there already once more), the fstat after linking being
# on the open file; each read with one read(2).
syscalls_ok() {
	! grep "^[0-9]* *access(.*/data/" "$1" &&
	stats=$(grep -c '^[0-9]* *newfstatat(.*\("f[0-9][0-9]*"\|"same-as-f3"\|/data/[^>]*"\)' "$1") &&
	reads=$(grep -c '^[0-9]* *read([0-9]*<[^>]*/data/' "$1") &&
	# into the cache by a hard link, or (a directory's symlink add) a move
	links=$(grep -c '^[0-9]* *\(link\|renameat2\)(.*xxh128/' "$1") &&
	echo "stats $stats reads $reads links or moves $links" &&
	test "$stats" -le 42 && test "$reads" = 41 && test "$links" -ge 41
}

test_case 'link-mode add: one stat per file, one read, no access probe' '
	command -v strace >/dev/null || { echo "no strace: skipped"; return 0; }
	for type in symlink hardlink; do
		(git init -q sc-$type && cd sc-$type && dv init -q && dv config cache.type $type &&
		 mkdata data &&
		 ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -y -f -o trace "$DV" add -q data &&
		 syscalls_ok trace) || return 1
	done
'

test_case 'symlink add: a file already hard-linked into the cache (killed after link) is finished' '
	git init -q k1 && cd k1 && dv init -q && dv config cache.type symlink &&
	mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums &&
	# What a kill between link() and the rename leaves: the object made
	# from the file (same inode, read-only), the file still in place.
	h=$(xxhsum -H2 data/a/f5 | cut -c1-32) && d=.dv/cache/files/xxh128/$(echo $h | cut -c1-2) &&
	mkdir -p $d && chmod 444 data/a/f5 && ln data/a/f5 $d/$(echo $h | cut -c3-) &&
	dv add -q data &&
	linked_ok symlink data && dv status --exit-code && dv fsck -q
'

for type in symlink hardlink; do
	test_case "$type add: an executable is copied in, keeping its mode; checkout leaves it" "
		git init -q ex-$type && cd ex-$type && dv init -q && dv config cache.type $type &&
		mkdir d && make_file d/run.sh 300 r && chmod 755 d/run.sh && make_file d/plain 300 p &&
		dv add -q d &&
		test -x d/run.sh && test ! -L d/run.sh && test \"\$(stat -c %h d/run.sh)\" = 1 &&
		dv status --exit-code &&
		rm -rf d && dv checkout -q d && test -x d/run.sh && test ! -L d/run.sh &&
		dv status --exit-code && dv fsck -q
	"
done

test_case 'symlink add: a link to another file of the tree keeps both, no symlink object' '
	for first in alias real; do
		(rm -rf ln && git init -q ln && cd ln && dv init -q && dv config cache.type symlink &&
		 mkdir d && make_file d/$first.bin 500 q && cp d/$first.bin ../orig &&
		 other=$(if [ $first = alias ]; then echo real; else echo alias; fi) &&
		 ln -s $first.bin d/$other.bin &&
		 dv add -q d && cmp d/alias.bin ../orig && cmp d/real.bin ../orig &&
		 test -z "$(find .dv/cache/files -type l)" && dv fsck -q) || return 1
	done
'

test_case 'symlink add: an object that no longer holds its bytes is replaced, the file kept' '
	git init -q bad && cd bad && dv init -q && dv config cache.type symlink &&
	mkdir d && make_file d/f 700 b && cp d/f ../f.orig &&
	h=$(xxhsum -H2 d/f | cut -c1-32) && o=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	mkdir -p $(dirname $o) && echo garbage >$o && chmod 444 $o &&
	dv add -q d && cmp d/f ../f.orig && cmp $o ../f.orig && dv fsck -q
'

# The short form of dv's symlinks ("../.dv/o/XX/<30 hex>" through the
# alias .dv/o; see dv_cache_link_target).
test_case 'symlink: the work tree moves and its links still read the data' '
	git init -q mv1 && cd mv1 && dv init -q && dv config cache.type symlink &&
	mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums &&
	dv add -q data && test "$(readlink .dv/o)" = cache/files/xxh128 &&
	cd .. && mv mv1 mv2 && cd mv2 &&
	linked_ok symlink data && dv status --exit-code
'

test_case 'symlink: a link of the absolute form dv made before is still its own' '
	git init -q old && cd old && dv init -q && dv config cache.type symlink &&
	mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums && dv add -q data &&
	obj=$(readlink -f data/a/f1) && ln -sfn "$obj" data/a/f1 && test "$(readlink data/a/f1)" = "$obj" &&
	dv status --exit-code && cp data.stage before && dv add -q data && test_cmp before data.stage &&
	dv status --exit-code
'

test_case 'symlink: an alias pointing elsewhere is not trusted, and checkout puts it back' '
	git init -q evil && cd evil && dv init -q && dv config cache.type symlink &&
	mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums && dv add -q data &&
	# Forged objects: the same names, other bytes.
	mkdir -p ../elsewhere && (cd .dv/cache/files/xxh128 && for d in *; do mkdir -p ../../../../../elsewhere/$d &&
		for o in $d/*; do echo forged >../../../../../elsewhere/$o; done; done) &&
	ln -sfn "$TRASH/elsewhere" .dv/o && test "$(cat data/a/f1)" = forged &&
	! dv status --exit-code >out 2>&1 && ! grep -x "Data and pipelines are up to date." out &&
	dv checkout -q -f data && test "$(readlink .dv/o)" = cache/files/xxh128 &&
	linked_ok symlink data && dv status --exit-code
'

test_case 'symlink: with something else at .dv/o the links are absolute' '
	git init -q blocked && cd blocked && dv init -q && dv config cache.type symlink &&
	mkdir .dv/o && mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums && dv add -q data &&
	case "$(readlink data/a/f1)" in "$TRASH"/blocked/.dv/cache/files/xxh128/*) ;; *) false ;; esac &&
	xxhsum -H2 $(find data \( -type f -o -type l \) | sort) >got.sums && test_cmp ../orig.sums got.sums &&
	dv status --exit-code && test -d .dv/o
'

test_case 'symlink: dv move to another depth makes the links again' '
	git init -q deep && cd deep && dv init -q && dv config cache.type symlink &&
	mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums && dv add -q data &&
	mkdir -p x/y && dv move -q data x/y/data &&
	case "$(readlink x/y/data/a/f0)" in ../../../../.dv/o/*) ;; *) false ;; esac &&
	(cd x/y && xxhsum -H2 $(find data \( -type f -o -type l \) | sort)) >got.sums && test_cmp ../orig.sums got.sums &&
	dv status --exit-code
'

# reflink clones where the file system can (btrfs, XFS); where it cannot
# (ext4, tmpfs) dv falls back to a copy, as dv-config(5) says.  Either way
# the work-tree file is its own inode with its own bytes: never the
# read-only object itself, so an edit cannot reach the cache.
test_case 'cache.type reflink: clone or copy, never the object itself; an edit leaves the cache alone' '
	git init -q reflink && cd reflink && dv init -q &&
	dv config cache.type reflink &&
	mkdata data && xxhsum -H2 $(find data -type f | sort) >../orig.sums &&
	dv add -q data && dv status --exit-code &&
	rm -rf data && dv checkout -q data &&
	for f in $(find data -type f); do
		test ! -L "$f" && test "$(stat -c %h "$f")" = 1 && test -w "$f" ||
			{ echo "not an own writable file: $f"; return 1; }
	done &&
	xxhsum -H2 $(find data -type f | sort) >got.sums && test_cmp ../orig.sums got.sums &&
	echo edited >>data/a/f1 &&
	dv fsck -q &&
	dv status >out && grep "modified: *data/a/f1$" out && test "$(grep -c modified out)" = 1
'

test_done
