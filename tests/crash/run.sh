#!/bin/sh
# run.sh - the kill -9 harness: start a dv operation, SIGKILL it (and every
# process it started) at a random moment, rerun it, and check that nothing
# was lost, torn or left behind.
#
#   tests/crash/run.sh --quick              what CI runs (crash/quick in ctest):
#                                           6 rounds, none started after 240 s
#   tests/crash/run.sh --trials 1000        the long run, spread over all ops
#   tests/crash/run.sh --ops checkout-big --seed S --trials 1   one trial again
#   tests/crash/run.sh --ops pull --at 41234        kill after 41234 us
#   tests/crash/run.sh --ops add-big --at rename:2  kill entering the 2nd rename
# Other options: --per-op N (rounds), --budget SECONDS, --jobs N (trials
# at once; a trial kills its own process tree only), --big-mib M,
# --small-files N, --dir DIR (default $DV_TEST_TMP/crash), --keep (keep
# passing trials' directories too).
#
# Operations: add-big (one large file), add-dir (a directory of many small
# files), add-dir-symlink and add-dir-hardlink (the same with cache.type
# symlink / hardlink: each file linked into the cache), checkout-big, checkout-dir, pull, push (a directory remote),
# pull-ssh, push-ssh (tests/servers/sshd.sh; skipped without sshd), repro
# (a three-stage pipeline), gc (local, -w), gc-remote (gc -w -c on a
# directory remote).
#
# A trial copies a prepared repository state, runs the operation under
# crash-kill (tests/crash/crash-kill.c), which SIGKILLs its whole process
# tree either after a delay (log-uniform from microseconds to past the
# operation's full duration) or, one trial in four, under strace entering
# the Nth call of one file-changing syscall (N up to what a whole run
# makes).  Then it reruns the operation (the natural recovery) and checks:
#   - dv fsck exits 0 (it re-hashes every object), and the harness re-hashes
#     every cache and remote object with xxhsum -H2 against its name too;
#     an object that is a symlink or a directory is a failure of its own;
#   - dv status parses every .stage (no error) and reports nothing changed
#     (--exit-code), dv status -c is in sync after push and remote gc;
#   - no temp file anywhere: workspace, .dv (cache, tmp), the remote;
#   - workspace bytes equal the originals (checksums kept outside the repo);
#   - git status and git diff --cached succeed, no index.lock is left, and
#     each staged .stage file is byte for byte the one in the workspace.
# It prints a table of trials, kills and failures per operation; each
# failure names its seed and kill point (and the options that repeat it)
# and keeps its directory and log.  Exit 1 when any trial failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
: "${DV_BUILD_DIR:=$src/build}"
: "${DV:=$DV_BUILD_DIR/dv}"
: "${CRASH_KILL:=$DV_BUILD_DIR/tests/crash-kill}"

usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
	exit 2
}

all_ops="add-big add-dir add-dir-symlink add-dir-hardlink checkout-big checkout-dir pull push pull-ssh push-ssh repro gc gc-remote"
ops=$all_ops
trials=
per_op=
seed=$(date +%s)
at=
big_mib=256
small_files=2000
work=${DV_TEST_TMP:-/tmp/dv-tests}/crash
keep=
budget=
jobs=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) per_op=${per_op:-6}; budget=${budget:-240}; big_mib=200; small_files=1000 ;;
	--budget) budget=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--trials) trials=$2; shift ;;
	--per-op) per_op=$2; shift ;;
	--ops) ops=$(echo "$2" | tr ',' ' '); shift ;;
	--seed) seed=$2; shift ;;
	--at) at=$2; shift ;;
	--big-mib) big_mib=$2; shift ;;
	--small-files) small_files=$2; shift ;;
	--dir) work=$2; shift ;;
	--keep) keep=yes ;;
	-h|--help) usage ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	esac
	shift
done
n_ops=$(echo $ops | wc -w)
if [ -z "$per_op" ] && [ -z "$trials" ]; then
	per_op=7
fi
[ -n "$trials" ] && per_op=$(((trials + n_ops - 1) / n_ops))

for tool in "$DV" "$CRASH_KILL"; do
	[ -x "$tool" ] || { echo "run.sh: error: '$tool' is not built (cmake --build build)" >&2; exit 2; }
done
command -v xxhsum >/dev/null || { echo "run.sh: error: xxhsum is needed (Debian package 'xxhash')" >&2; exit 2; }
have_strace=
command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null && have_strace=yes

# A private world, as in tests/cli/test-lib.sh: nothing on the machine
# leaks in, and git finds no repository above the scratch directory.
rm -rf "$work"
mkdir -p "$work/home" "$work/trials" "$work/failed"
work=$(cd "$work" && pwd)
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
export GIT_CONFIG_NOSYSTEM=1 GIT_CEILING_DIRECTORIES=$work DV_CONFIG_SYSTEM=$work/etc-dv-config
export GIT_AUTHOR_NAME='dv crash' GIT_AUTHOR_EMAIL='crash@dv.invalid'
export GIT_COMMITTER_NAME='dv crash' GIT_COMMITTER_EMAIL='crash@dv.invalid'
export LC_ALL=C TZ=UTC
unset DV_DIR CDPATH
git config --global init.defaultBranch main
git config --global advice.detachedHead false

dv() { "$DV" "$@"; }
die() { echo "run.sh: error: $*" >&2; exit 2; }
now_ms() { date +%s%3N; }
started=$(now_ms)

# --- the data: made once, checksums kept outside every repository -------

orig=$work/orig
mkdir -p "$orig"
echo "# making $big_mib MiB big.bin and $small_files small files" >&2
head -c $((big_mib * 1048576)) /dev/zero |
	openssl enc -aes-128-ctr -nosalt -pass pass:crash -pbkdf2 2>/dev/null >"$orig/big.bin"
[ "$(stat -c %s "$orig/big.bin")" -eq $((big_mib * 1048576)) ] || die "cannot make big.bin (openssl)"
# Many small files in 20 folders, sizes 0..16 KiB, one executable; awk
# writes them all in one process.
for d in $(seq -w 0 19); do mkdir -p "$orig/dir/d$d"; done
awk -v n="$small_files" -v root="$orig/dir" 'BEGIN {
	x = 12345
	for (i = 0; i < n; i++) {
		f = sprintf("%s/d%02d/f%05d.txt", root, i % 20, i)
		x = (x * 1103515245 + 12345) % 2147483648
		len = x % 16384
		if (i == 0) len = 0
		line = sprintf("file %d seed %d ", i, x)
		s = ""
		while (length(s) < len) s = s line
		printf "%s", substr(s, 1, len) > f
		close(f)
	}
}'
chmod 755 "$orig/dir/d01/f00001.txt"
# The SSH operations cost a connection per batch and run over loopback
# with ssh's ciphers: a 16 MiB file and a tenth of the small files.
head -c 16777216 "$orig/big.bin" >"$orig/mid.bin"
mkdir -p "$orig/sdir" && cp -a "$orig/dir/d00" "$orig/dir/d01" "$orig/sdir/"
(cd "$orig" && find big.bin mid.bin dir sdir -type f | sort | xargs xxhsum -H2 2>/dev/null) >"$work/orig.sums"

# --- repository states: built once per run, copied for each trial ------

base=$work/base
mkdir -p "$base"

new_repo() {
	git init -q "$1" && (cd "$1" && dv init -q && git commit -q -m init)
}

# full: big.bin and dir/ added and committed, pushed to ../remote.
make_full() {
	mkdir -p "$base/full" && new_repo "$base/full/repo" && (
		cd "$base/full/repo" &&
		cp "$orig/big.bin" big.bin && cp -a "$orig/dir" dir &&
		dv add -q big.bin dir &&
		dv remote add -d origin ../remote >/dev/null &&
		git add .dv/config && git commit -q -m data &&
		dv push -q
	) || die "cannot build the 'full' state"
}

# full-ssh: as full with mid.bin and sdir/, for the SSH operations.
make_full_ssh() {
	mkdir -p "$base/full-ssh" && new_repo "$base/full-ssh/repo" && (
		cd "$base/full-ssh/repo" &&
		cp "$orig/mid.bin" mid.bin && cp -a "$orig/sdir" sdir &&
		dv add -q mid.bin sdir &&
		dv remote add -d origin ../remote >/dev/null &&
		git add .dv/config && git commit -q -m data &&
		dv push -q
	) || die "cannot build the 'full-ssh' state"
}

# gc: mid.bin and dir/, then a second commit that rewrites a tenth of the
# small files and drops a 16 MiB file: their old objects are garbage.
# (The large file would only make the set-up slower: gc never reads it.)
make_gc() {
	mkdir -p "$base/gc" && new_repo "$base/gc/repo" && (
		cd "$base/gc/repo" &&
		cp "$orig/mid.bin" mid.bin && cp -a "$orig/dir" dir &&
		tac "$orig/mid.bin" >old.bin &&
		dv add -q mid.bin dir old.bin &&
		dv remote add -d origin ../remote >/dev/null &&
		git add .dv/config && git commit -q -m v1 && dv push -q &&
		for f in dir/d0*/f0*0.txt; do echo "v1 $f" >"$f"; done &&
		dv add -q dir && dv remove -q old.bin && rm -f old.bin &&
		git add -A && git commit -q -m v2 && dv push -q &&
		cp -a dir "$base/gc/dir.v2" &&
		# Older than any grace period remote gc may keep.
		find ../remote -exec touch -h -d '3 days ago' {} +
	) || die "cannot build the 'gc' state"
}

# repro: mid.bin tracked; three command stages never run.
make_repro() {
	mkdir -p "$base/repro" && new_repo "$base/repro/repo" && (
		cd "$base/repro/repo" &&
		cp "$orig/mid.bin" mid.bin && dv add -q mid.bin &&
		dv stage add -q -n cut -d mid.bin -o part.bin 'tac mid.bin >part.bin' &&
		dv stage add -q -n split -d part.bin -o chunks 'mkdir -p chunks && cd chunks && split -a 3 -b 65536 ../part.bin c' &&
		dv stage add -q -n sum -d chunks -o sums.txt 'cd chunks && xxhsum -H2 * >../sums.txt' &&
		git add -A && git commit -q -m pipeline
	) || die "cannot build the 'repro' state"
	# The outputs a whole run makes, to compare each trial with.
	rm -rf "$work/repro-ref" && cp -a "$base/repro" "$work/repro-ref" &&
	(cd "$work/repro-ref/repo" && dv repro -q >/dev/null &&
	 find part.bin chunks sums.txt -type f | sort | xargs xxhsum -H2 2>/dev/null) >"$work/repro.sums" ||
		die "cannot run the reference pipeline"
	rm -rf "$work/repro-ref"
}

ssh_ok=
start_sshd() {
	[ -x /usr/sbin/sshd ] || return 1
	eval "$(sh "$src/tests/servers/sshd.sh" start "$work/sshd")" || return 1
	ssh_ok=yes
}
stop_sshd() {
	[ -n "$ssh_ok" ] && sh "$src/tests/servers/sshd.sh" stop "$work/sshd"
}
trap 'stop_sshd' EXIT

prepare_base() {
	case $1 in
	add-big)
		mkdir -p "$base/add-big" && new_repo "$base/add-big/repo" &&
		cp "$orig/big.bin" "$base/add-big/repo/big.bin" ;;
	add-dir)
		mkdir -p "$base/add-dir" && new_repo "$base/add-dir/repo" &&
		cp -a "$orig/dir" "$base/add-dir/repo/dir" ;;
	add-dir-symlink|add-dir-hardlink)
		mkdir -p "$base/$1" && new_repo "$base/$1/repo" &&
		(cd "$base/$1/repo" && dv config cache.type "${1#add-dir-}" && git add .dv/config &&
		 git commit -q -m "cache.type ${1#add-dir-}") &&
		cp -a "$orig/dir" "$base/$1/repo/dir" ;;
	checkout-big)
		[ -d "$base/full" ] || make_full
		cp -a "$base/full" "$base/checkout-big" && rm "$base/checkout-big/repo/big.bin" ;;
	checkout-dir)
		[ -d "$base/full" ] || make_full
		cp -a "$base/full" "$base/checkout-dir" && rm -rf "$base/checkout-dir/repo/dir" ;;
	pull)
		[ -d "$base/full" ] || make_full
		mkdir -p "$base/$1" && git clone -q "$base/full/repo" "$base/$1/repo" &&
		cp -a "$base/full/remote" "$base/$1/remote" ;;
	push)
		[ -d "$base/full" ] || make_full
		mkdir -p "$base/$1" && cp -a "$base/full/repo" "$base/$1/repo" ;;
	pull-ssh)
		[ -d "$base/full-ssh" ] || make_full_ssh
		mkdir -p "$base/$1" && git clone -q "$base/full-ssh/repo" "$base/$1/repo" &&
		cp -a "$base/full-ssh/remote" "$base/$1/remote" ;;
	push-ssh)
		[ -d "$base/full-ssh" ] || make_full_ssh
		mkdir -p "$base/$1" && cp -a "$base/full-ssh/repo" "$base/$1/repo" ;;
	repro) make_repro ;;
	gc|gc-remote)
		[ -d "$base/gc" ] || make_gc ;;
	esac
}

# copy_state SRC DST: a trial's own copy of a prepared state.  Objects in
# the cache and the remote are hard links: dv never writes an object in
# place (new ones are renamed in, gc unlinks), so sharing them saves
# copying hundreds of MiB per trial; and should a bug ever write one in
# place, every later trial's re-hash would say so.
copy_state() {
	mkdir -p "$2" &&
	tar -C "$1" --exclude=./repo/.dv/cache/files --exclude=./remote/files -cf - . | tar -C "$2" -xf - &&
	for s in repo/.dv/cache/files remote/files; do
		[ ! -d "$1/$s" ] || cp -al "$1/$s" "$2/$s" || return 1
	done
}

# The command a trial kills (and then reruns), in the trial's repo/.
op_cmd() {
	case $1 in
	add-big) echo "add big.bin" ;;
	add-dir|add-dir-symlink|add-dir-hardlink) echo "add dir" ;;
	checkout-big) echo "checkout big.bin" ;;
	checkout-dir) echo "checkout dir" ;;
	pull|pull-ssh) echo "pull" ;;
	push|push-ssh) echo "push" ;;
	repro) echo "repro" ;;
	gc) echo "gc -w -f" ;;
	gc-remote) echo "gc -w -c -f" ;;
	esac
}

# Per-trial setup after the copy (ssh remotes name an absolute path).
trial_prep() {
	case $1 in
	pull-ssh|push-ssh)
		(cd "$2/repo" && dv remote modify --local origin url "ssh://$DV_TEST_SSH_HOST$2/remote") ;;
	esac
}

base_of() {
	case $1 in
	gc|gc-remote) echo gc ;;
	*) echo "$1" ;;
	esac
}

# --- checks -------------------------------------------------------------

# rehash_store DIR: every object under DIR/files holds the bytes its name
# says; anything there that is not a regular object file is named.
rehash_store() {
	[ -d "$1/files" ] || return 0
	find "$1/files" -mindepth 1 ! -type d ! -type f -printf 'not a regular file: %p\n'
	find "$1/files/xxh128" -mindepth 2 -type d -printf 'a directory where an object belongs: %p\n' 2>/dev/null
	find "$1/files" -type f ! -name '.*' -print0 | xargs -0 -r xxhsum -H2 2>/dev/null |
		awk '{ p = $2; sub(/.*\/xxh128\//, "", p); sub(/\//, "", p); sub(/\.dir$/, "", p)
		       if (p != $1) print "object does not match its name: " $2 }'
}

# temp_files DIR...: names a killed writer leaves (".NAME.tmp-*", git's
# lock files, anything in .dv/tmp).
temp_files() {
	find "$@" \( -name '.*.tmp-*' -o -name '*.lock' -o -name 'tmp_obj_*' -o -path '*/.dv/tmp/*' \) \
		! -path '*/.dv/lock' -print 2>/dev/null |
	while read -r f; do
		case $f in
		./.git/*) where="git's lock or temp file (a killed git write)" ;;
		./.dv/cache/*) where="temp file left in the cache" ;;
		./.dv/*) where="temp file left in .dv" ;;
		../remote/*) where="temp file left on the remote" ;;
		*) where="temp file left in the workspace" ;;
		esac
		echo "$where: $f"
	done
}

# same_bytes SUMS DIR [PATH...]: the files under PATHs in DIR are exactly
# those SUMS lists for them (no more, no fewer), with the same bytes
# (a symlink into the cache counts as the file it shows).
same_bytes() {
	sums=$1 dir=$2
	shift 2
	(cd "$dir" && for p in "$@"; do grep " $p\(/\|\$\)" "$sums"; done | sort -k2 >"$T/want.sums"
	 find -L "$@" -type f 2>/dev/null | sort | xargs -r xxhsum -H2 2>/dev/null | sort -k2 >"$T/got.sums")
	if ! cmp -s "$T/want.sums" "$T/got.sums"; then
		echo "workspace bytes differ from the originals:"
		diff "$T/want.sums" "$T/got.sums" | head -n 10
	fi
}

# check_trial OP: print one line per problem (none: the trial passed).
check_trial() {
	op=$1
	cd "$T/repo" || return
	if ! dv fsck -q >"$T/fsck.out" 2>&1; then
		echo "dv fsck failed:"; head -n 10 "$T/fsck.out"
	fi
	rehash_store .dv/cache
	rehash_store ../remote
	temp_files . ../remote
	if ! dv status --exit-code >"$T/status.out" 2>&1; then
		echo "dv status reports changes or an error:"; head -n 10 "$T/status.out"
	fi
	case $op in
	push|push-ssh|gc-remote)
		if ! dv status -c --exit-code >"$T/cloud.out" 2>&1; then
			echo "dv status -c: the remote lacks objects:"; head -n 10 "$T/cloud.out"
		fi ;;
	esac
	case $op in
	add-big|checkout-big) same_bytes "$work/orig.sums" . big.bin ;;
	add-dir|add-dir-*|checkout-dir) same_bytes "$work/orig.sums" . dir ;;
	pull|push) same_bytes "$work/orig.sums" . big.bin dir ;;
	pull-ssh|push-ssh) same_bytes "$work/orig.sums" . mid.bin sdir ;;
	repro) same_bytes "$work/orig.sums" . mid.bin; same_bytes "$work/repro.sums" . part.bin chunks sums.txt ;;
	gc|gc-remote)
		same_bytes "$work/orig.sums" . mid.bin
		(cd "$base/gc" && find dir.v2 -type f | sort | xargs xxhsum -H2 2>/dev/null | sed 's| dir\.v2/| dir/|') >"$T/v2.sums"
		same_bytes "$T/v2.sums" . dir ;;
	esac
	git status --porcelain >/dev/null 2>"$T/git.err" || { echo "git status failed:"; cat "$T/git.err"; }
	git diff --cached --quiet 2>"$T/git.err"
	[ $? -le 1 ] || { echo "git diff --cached failed:"; cat "$T/git.err"; }
	git ls-files -- '*.stage' '.gitignore' >"$T/staged" 2>/dev/null
	while read -r f; do
		git cat-file blob ":$f" 2>/dev/null | cmp -s - "$f" ||
			echo "staged '$f' differs from the workspace's (torn or not staged)"
	done <"$T/staged"
	case $op in
	add-big) grep -qx big.bin.stage "$T/staged" || echo "big.bin.stage is not staged" ;;
	add-dir|add-dir-*) grep -qx dir.stage "$T/staged" || echo "dir.stage is not staged" ;;
	esac
}

# --- one trial ------------------------------------------------------------

pick() { "$CRASH_KILL" pick "$1" "$2"; }

# The syscalls whose interruption matters: what creates, fills, renames or
# removes files.
kill_syscalls="openat write pwrite64 copy_file_range fsync rename renameat2 unlink unlinkat close linkat link symlink fchmod"

# kill_point OP TRIAL_SEED: "US" (a delay) or "SYSCALL:N".
kill_point() {
	s=$2
	dur=$(cat "$work/dur.$1")
	if [ -n "$have_strace" ] && [ "$(pick "$s" 4)" -eq 0 ]; then
		set -- $(grep -v '^#' "$work/calls.$1")
		if [ $# -gt 0 ]; then
			i=$(pick $((s + 1)) $(($# / 2)))
			shift $((i * 2))
			echo "$1:$(($(pick $((s + 2)) "$2") + 1))"
			return
		fi
	fi
	# Half log-uniform from 5 us (the kill lands before dv starts, or in
	# its first syscalls), half uniform; up to 1.2 times the full run.
	hi=$((dur * 12 / 10 + 1))
	if [ "$(pick $((s + 3)) 2)" -eq 0 ]; then
		awk -v u="$(pick $((s + 4)) 1000000)" -v hi="$hi" 'BEGIN { printf "%d\n", 5 * exp(u / 1000000 * log(hi / 5)) }'
	else
		echo $(($(pick $((s + 4)) "$hi") + 1))
	fi
}

# run_killed OP POINT: run the operation in $T/repo, killed at POINT.
run_killed() {
	cmd=$(op_cmd "$1")
	case $2 in
	*:*)
		(cd "$T/repo" && "$CRASH_KILL" 0 strace -f -qq -o "$T/strace.out" -e trace="${2%%:*}" \
			-e inject="${2%%:*}:signal=KILL:when=${2#*:}" "$DV" $cmd) >"$T/kill.out" 2>>"$T/log" ;;
	*)
		(cd "$T/repo" && "$CRASH_KILL" "$2" "$DV" $cmd) >"$T/kill.out" 2>>"$T/log" ;;
	esac
	case $(cat "$T/kill.out") in
	killed*|"exited 137 "*) return 0 ;;
	*) return 1 ;;
	esac
}

# Calibrate an operation on a throwaway copy: how long a whole run takes,
# and how many of each interesting syscall it makes (for strace kills).
calibrate() {
	T=$work/trials/calibrate
	cmd=$(op_cmd "$1")
	rm -rf "$T" && copy_state "$base/$(base_of "$1")" "$T" && trial_prep "$1" "$T"
	(cd "$T/repo" && "$CRASH_KILL" 0 "$DV" $cmd 2>"$T/err") >"$T/kill.out" 2>&1
	case $(cat "$T/kill.out") in
	"exited 0 "*) ;;
	*) echo "run.sh: error: '$1' does not run cleanly: $(cat "$T/kill.out" "$T/err")" >&2; return 1 ;;
	esac
	awk '{ print $3 }' "$T/kill.out" >"$work/dur.$1"
	: >"$work/calls.$1"
	if [ -n "$have_strace" ]; then
		rm -rf "$T" && copy_state "$base/$(base_of "$1")" "$T" && trial_prep "$1" "$T"
		(cd "$T/repo" && strace -f -qq -c -o "$T/counts" -e trace="$(echo $kill_syscalls | tr ' ' ,)" \
			"$DV" $cmd >/dev/null 2>&1)
		# "% time  seconds  usecs/call  calls  [errors]  syscall"
		awk '(NF == 5 || NF == 6) && $4 ~ /^[0-9]+$/ && $NF != "total" { print $NF, $4 }' \
			"$T/counts" >>"$work/calls.$1"
	fi
	rm -rf "$T"
}

# A trial: copy the state, kill the operation at a point drawn from its
# seed, rerun it, check.  Its result is one line of $work/results:
# "OP N KILLED FAILED FIRST-FAILURE-NOTE" (workers append concurrently;
# lines this short are written whole).
run_trial() {
	op=$1 n=$2
	b=$(base_of "$op")
	tseed=$(( (seed * 7919 + n * 104729 + $(echo "$op" | cksum | cut -d' ' -f1)) % 2147483647 ))
	point=${at:-$(kill_point "$op" "$tseed")}
	T=$work/trials/$op-$n
	t0=$(now_ms)
	rm -rf "$T" && copy_state "$base/$b" "$T" && trial_prep "$op" "$T" || die "cannot copy '$b'"
	echo "trial $op $n seed=$tseed kill at ${point}" >"$T/log"
	killed=0
	run_killed "$op" "$point" && killed=1
	echo "kill: $(cat "$T/kill.out")" >>"$T/log"
	# The rerun: the natural recovery is the same command again.
	(cd "$T/repo" && dv $(op_cmd "$op")) >>"$T/log" 2>&1
	rc=$?
	t1=$(now_ms)
	problems=$(check_trial "$op" 2>&1; [ $rc -eq 0 ] || echo "the rerun 'dv $(op_cmd "$op")' exited $rc")
	cd "$work" || exit 2
	echo "trial took $(($(now_ms) - t0)) ms, of which checks $(($(now_ms) - t1)) ms" >>"$T/log"
	if [ -n "$problems" ]; then
		echo "$problems" >>"$T/log"
		dest=$work/failed/$op-$n
		rm -rf "$dest" && mv "$T" "$dest"
		{
			echo "FAIL $op trial $n (seed $tseed, kill at $point; $(cat "$dest/kill.out")):"
			echo "$problems" | sed 's/^/    /' | head -n 12
			echo "    log: $dest/log; again: tests/crash/run.sh --ops $op --per-op 1 --at $point"
		} >"$work/fail.$op-$n"
		cat "$work/fail.$op-$n" >&2
		echo "$op $n $killed 1 seed=$tseed at=$point log=$dest/log" >>"$work/results"
	else
		[ -n "$keep" ] || rm -rf "$T"
		echo "$op $n $killed 0" >>"$work/results"
	fi
}

failures_total=0
trials_total=0
active=
: >"$work/notes"
for op in $ops; do
	case " $all_ops " in *" $op "*) ;; *) die "unknown operation '$op' (one of: $all_ops)" ;; esac
	case $op in
	*-ssh)
		if [ -z "$ssh_ok" ] && ! start_sshd >"$work/sshd.out" 2>&1; then
			echo "# $op: skipped (no sshd: $(tail -n 1 "$work/sshd.out"))" >&2
			echo "$op skipped: no sshd" >>"$work/notes"
			continue
		fi ;;
	esac
	[ -d "$base/$(base_of "$op")" ] || prepare_base "$op" || die "cannot prepare '$op'"
	if ! calibrate "$op"; then
		failures_total=$((failures_total + 1))
		echo "$op does not run cleanly without a kill" >>"$work/notes"
		continue
	fi
	echo "# $op: a whole run takes $(($(cat "$work/dur.$op") / 1000)) ms" >&2
	active="$active $op"
done

# Round robin, so every operation gets its share however the run ends:
# trial i of the list goes to worker i mod --jobs.  --budget stops
# starting trials once that many seconds have gone since the start
# (set-up included), but the first round always runs.
: >"$work/results"
round=0
while [ "$round" -lt "$per_op" ]; do
	round=$((round + 1))
	for op in $active; do echo "$op $round"; done
done >"$work/plan"
n_active=$(echo $active | wc -w)
worker() {
	i=0
	while read -r op n; do
		i=$((i + 1))
		[ $(( (i - 1) % jobs )) -eq "$1" ] || continue
		if [ -n "$budget" ] && [ "$i" -gt "$n_active" ] &&
		   [ $(( ($(now_ms) - started) / 1000 )) -ge "$budget" ]; then
			echo "# worker $1: the ${budget}s budget is spent" >&2
			break
		fi
		run_trial "$op" "$n"
	done <"$work/plan"
}
k=0
while [ "$k" -lt "$jobs" ]; do
	worker "$k" &
	k=$((k + 1))
done
wait

: >"$work/table"
for op in $ops; do
	line=$(awk -v op="$op" '$1 == op { n++; k += $3; f += $4; if ($4 && first == "") { first = $5; for (i = 6; i <= NF; i++) first = first " " $i } }
		END { printf "%d %d %d %s", n, k, f, first }' "$work/results")
	set -- $line
	note=$(sed -n "s/^$op //p" "$work/notes")
	trials_total=$((trials_total + $1))
	failures_total=$((failures_total + $3))
	printf '%-13s %6d %6d %8d  %s\n' "$op" "$1" "$2" "$3" "${4:-}${5:+ $5}${6:+ $6}$note" >>"$work/table"
done

elapsed=$(( ($(now_ms) - started) / 1000 ))
echo
echo "kill -9 trials on $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) cores), seed $seed, ${elapsed}s"
printf '%-13s %6s %6s %8s  %s\n' operation trials killed failures "first failure"
cat "$work/table"
printf '%-13s %6d %6s %8d\n' total "$trials_total" "" "$failures_total"
[ "$failures_total" -eq 0 ] || exit 1
[ -n "$keep" ] || rm -rf "$work/base" "$work/orig" "$work/trials"
exit 0
