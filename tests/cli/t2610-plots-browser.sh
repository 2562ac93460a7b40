#!/bin/sh
# The plots page in a real browser: headless Chromium loads index.html
# from disk with the network out of reach, the DOM it built is read back
# (--dump-dom) to count the series and points each SVG holds, and a
# screenshot proves something was drawn, in the series' colours.  A
# column named <script>... must stay text: no script element, no title
# change.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip_all "chromium is not installed (contrib/install-deps.sh installs it)"

# browse WHAT PAGE OUT: run headless Chromium on file://PAGE, writing the
# DOM (WHAT=dom) or a screenshot PNG (WHAT=png) to OUT.  A fresh profile
# each time; a dead proxy so that no request could leave even if the page
# asked for one (its Content-Security-Policy forbids them already).
browse() {
	profile=$(mktemp -d "$TEST_ROOT/profile.XXXXXX")
	set -- "$1" "$2" "$3" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-default-apps --disable-extensions --hide-scrollbars --force-device-scale-factor=1 \
		--proxy-server=socks5://127.0.0.1:9 --user-data-dir="$profile" --window-size=900,1500
	what=$1 page=$2 out=$3
	shift 3
	if [ "$what" = dom ]; then
		timeout 180 "$CHROMIUM" "$@" --dump-dom "file://$page" >"$out" 2>"$TEST_ROOT/chromium.log"
	else
		timeout 180 "$CHROMIUM" "$@" --screenshot="$out" "file://$page" >/dev/null 2>"$TEST_ROOT/chromium.log"
	fi
	rc=$?
	rm -rf "$profile"
	[ $rc -eq 0 ] || { cat "$TEST_ROOT/chromium.log" >&2; return 1; }
}

new_repo repo
cd repo
cat >train.sh <<'EOF'
#!/bin/sh
# a loss curve with a column whose name is markup, predictions, a confusion matrix
scale=${LOSS_SCALE:-1}
awk -v s="$scale" 'BEGIN {
	print "epoch,loss,\"<script>document.title=\"\"pwned\"\"</script>\""
	for (i = 1; i <= 25; i++) printf "%d,%.6f,%.4f\n", i, s / i, 0.5 + i / 100
}' >log.csv
awk 'BEGIN { print "actual,predicted"; for (i = 0; i < 40; i++) printf "%d,%.3f\n", i, i + sin(i) * 4 }' >pred.csv
printf 'actual,predicted,count\ncat,cat,40\ncat,dog,10\ndog,cat,5\ndog,dog,45\n' >cm.csv
EOF
chmod +x train.sh
"$DV" stage add -q -n train -d train.sh --plot log.csv -x epoch --plot pred.csv -t scatter -x actual -y predicted \
	--plot cm.csv -t confusion ./train.sh
"$DV" repro -q
git add -A && git commit -q -m "first run"
LOSS_SCALE=4 "$DV" repro -q -f
cd ..

# The DOM as Chromium built it: per plot, its series (label, points, drawn
# vertices), its matrices, and every script element anywhere.
cat >"$TEST_ROOT/dom.py" <<'EOF'
import html.parser, json, re, sys

class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.plots, self.scripts, self.title, self.in_title = {}, 0, "", False
        self.plot = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "title" and self.plot is None:
            self.in_title = True
        if tag == "svg" and "dv-plot" in a.get("class", ""):
            self.plot = self.plots.setdefault(a["data-name"], {"series": [], "matrices": []})
        if self.plot is None:
            return
        if tag == "g" and a.get("class") == "series":
            self.plot["series"].append({"label": a["data-label"], "points": int(a["data-points"]), "drawn": 0})
        if tag == "path" and a.get("class") in ("line", "dots") and self.plot["series"]:
            # every vertex of the path: M or L commands
            self.plot["series"][-1]["drawn"] += len(re.findall(r"[ML]", a.get("d", "")))
        if tag == "g" and a.get("class") == "matrix":
            self.plot["matrices"].append({"label": a["data-label"], "rows": int(a["data-rows"])})
        if tag == "rect" and a.get("class") == "cell":
            self.plot["matrices"][-1].setdefault("cells", 0)
            self.plot["matrices"][-1]["cells"] += 1
    def handle_endtag(self, tag):
        if tag == "svg":
            self.plot = None
        if tag == "title":
            self.in_title = False
    def handle_data(self, data):
        if self.in_title:
            self.title += data

d = Dom()
d.feed(open(sys.argv[1], encoding="utf-8").read())
json.dump({"plots": d.plots, "scripts": d.scripts, "title": d.title}, sys.stdout, indent=1)
EOF

# A PNG's pixels, with no imaging library: inflate and unfilter by hand.
cat >"$TEST_ROOT/png.py" <<'EOF'
import json, struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
    assert depth == 8 and ctype in (2, 6), (depth, ctype)
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, out, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(line))
        prev = line
    return w, h, bpp, out

w, h, bpp, rows = pixels(sys.argv[1])
colours, white, hits = {}, 0, {}
want = {"#1f77b4": (31, 119, 180), "#ff7f0e": (255, 127, 14)}
for row in rows:
    for x in range(0, len(row), bpp):
        px = tuple(row[x:x + 3])
        colours[px] = colours.get(px, 0) + 1
        if px == (255, 255, 255):
            white += 1
        for name, rgb in want.items():
            if all(abs(px[k] - rgb[k]) <= 12 for k in range(3)):
                hits[name] = hits.get(name, 0) + 1
json.dump({"width": w, "height": h, "colours": len(colours), "non_white": w * h - white, "hits": hits}, sys.stdout)
EOF

test_case 'plots diff renders in Chromium: one labelled series per revision, every point' '
	cd repo && dv plots diff -o diff >/dev/null &&
	browse dom "$(pwd)/diff/index.html" dom.html &&
	python3 "$TEST_ROOT/dom.py" dom.html >dom.json &&
	python3 - <<-EOF
	import json
	d = json.load(open("dom.json"))
	log = d["plots"]["log"]["series"]
	labels = [s["label"] for s in log]
	assert labels == ["HEAD: loss", "HEAD: <script>document.title=\"pwned\"</script>",
	                  "workspace: loss", "workspace: <script>document.title=\"pwned\"</script>"], labels
	assert all(s["points"] == 25 and s["drawn"] == 25 for s in log), log
	pred = d["plots"]["pred"]["series"]
	assert [s["label"] for s in pred] == ["HEAD: predicted", "workspace: predicted"], pred
	assert all(s["points"] == 40 and s["drawn"] == 40 for s in pred), pred
	cm = d["plots"]["cm"]["matrices"]
	assert [m["label"] for m in cm] == ["HEAD", "workspace"] and all(m["cells"] == 4 for m in cm), cm
	assert d["scripts"] == 0, "a script element reached the DOM"
	assert "pwned" not in d["title"], d["title"]
	EOF
'

test_case 'the screenshot is not blank: axes, text and both revisions'"'"' colours' '
	cd repo && browse png "$(pwd)/diff/index.html" shot.png &&
	python3 "$TEST_ROOT/png.py" shot.png >png.json &&
	python3 - <<-EOF
	import json
	p = json.load(open("png.json"))
	assert p["width"] == 900 and p["height"] == 1500, p
	assert p["colours"] > 50, p                       # text, lines, heat map shades
	assert p["non_white"] > 0.05 * p["width"] * p["height"], p
	assert p["hits"].get("#1f77b4", 0) > 200 and p["hits"].get("#ff7f0e", 0) > 200, p
	EOF
'

test_case 'plots show of one million points opens as a small page' '
	cd repo &&
	awk "BEGIN { print \"step,value\"; for (i = 0; i < 1000000; i++) printf \"%d,%.4f\\n\", i, sin(i / 20000) + (i % 97) / 500 }" >big.csv &&
	dv plots show -o big big.csv >/dev/null &&
	test "$(wc -c <big/index.html)" -lt 2000000 &&
	browse dom "$(pwd)/big/index.html" big.html &&
	python3 "$TEST_ROOT/dom.py" big.html >big.json &&
	python3 - <<-EOF
	import json
	[s] = json.load(open("big.json"))["plots"]["big"]["series"]
	assert s["points"] == 1000000 and 700 < s["drawn"] <= 4 * 710, s
	EOF
'

test_done
