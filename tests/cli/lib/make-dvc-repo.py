#!/usr/bin/env python3
"""Build a DVC 3.x repository the way `dvc add` and `dvc repro` leave it,
for dv's migration tests (DVC itself is not installable here).

Layout written, as DVC 3 documents it: .dvc/config (configobj quoting),
.dvc/cache/files/md5/<2 hex>/<30 hex> objects, <md5>.dir listings
(json.dumps of [{"md5", "relpath"}] sorted by relpath, sort_keys), *.dvc
files with `outs: [{md5, size, hash: md5, path}]` (nfiles for directories),
dvc.yaml and dvc.lock (schema 2.0, deps/outs with path/hash/md5/size).

usage: make-dvc-repo.py DIR
"""
import hashlib, json, os, subprocess, sys

root = sys.argv[1]
os.makedirs(root, exist_ok=True)
os.chdir(root)

def w(path, text, mode=0o644):
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)

def md5_file(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()

def cache_put(path_or_bytes, md5, suffix=""):
    obj = os.path.join(".dvc/cache/files/md5", md5[:2], md5[2:] + suffix)
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()
    with open(obj, "wb") as f:
        f.write(data)
    os.chmod(obj, 0o444)

def entry(path, cache=True):
    """dvc.lock / .dvc entry of a file or directory; cached ones enter the cache."""
    if os.path.isdir(path):
        files = []
        for d, _, names in os.walk(path):
            for n in names:
                p = os.path.join(d, n)
                files.append({"md5": md5_file(p), "relpath": os.path.relpath(p, path)})
                if cache:
                    cache_put(p, files[-1]["md5"])
        files.sort(key=lambda e: e["relpath"])
        listing = json.dumps(files, sort_keys=True).encode()
        md5 = hashlib.md5(listing).hexdigest()
        if cache:
            cache_put(listing, md5, ".dir")
        size = sum(os.path.getsize(os.path.join(path, e["relpath"])) for e in files)
        return {"md5": md5 + ".dir", "size": size, "nfiles": len(files)}
    md5 = md5_file(path)
    if cache:
        cache_put(path, md5)
    return {"md5": md5, "size": os.path.getsize(path)}

def yaml_entry(e, path, indent):
    pad = " " * indent
    s = f"{pad}- path: {path}\n{pad}  hash: md5\n{pad}  md5: {e['md5']}\n{pad}  size: {e['size']}\n"
    if "nfiles" in e:
        s += f"{pad}  nfiles: {e['nfiles']}\n"
    return s

subprocess.run(["git", "init", "-q", "."], check=True)
w(".dvc/config", "[core]\n    remote = store\n['remote \"store\"']\n    url = ../../dvc-store\n"
  "['remote \"s3\"']\n    url = s3://bucket/path\n    endpointurl = http://127.0.0.1:9\n"
  "['remote \"gcs\"']\n    url = gs://bucket/path\n")
w(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n")
w(".dvcignore", "# Add patterns of files dvc should ignore\n")

# dvc add data/raw.csv ; dvc add images
w("data/raw.csv", "".join(f"{i},{i * i % 97},{'us' if i % 2 else 'eu'}\n" for i in range(500)))
for i in range(5):
    w(f"images/img{i}.txt", f"image {i}\n" * (i + 1))
w("images/sub/deep.txt", "deep\n")
raw = entry("data/raw.csv")
w("data/raw.csv.dvc", f"outs:\n- md5: {raw['md5']}\n  size: {raw['size']}\n  hash: md5\n  path: raw.csv\n")
w("data/.gitignore", "/raw.csv\n")
img = entry("images")
w("images.dvc", f"outs:\n- md5: {img['md5']}\n  size: {img['size']}\n  nfiles: {img['nfiles']}\n  hash: md5\n  path: images\n")

w("params.yaml", "prepare:\n  split: 0.25   # share for tests\ntrain:\n  lr: 0.01\n  epochs: 3\nregions: [us, eu]\n")
w("src/prepare.sh", "#!/bin/sh\nawk -F, -v s=\"$1\" 'NR % 4 == 0 { print > \"data/test.csv\"; next } { print > \"data/train.csv\" }' data/raw.csv\nmkdir -p data/prepared && cp data/train.csv data/test.csv data/prepared/ && rm data/train.csv data/test.csv\n", 0o755)
w("dvc.yaml", """stages:
  prepare:
    cmd: ./src/prepare.sh ${prepare.split}
    deps:
    - data/raw.csv
    - src
    params:
    - prepare.split
    outs:
    - data/prepared
  train:
    cmd: echo lr=${train.lr} epochs=${train.epochs} > model.bin && cat data/prepared/train.csv >> model.bin && ls images >> model.bin
    deps:
    - data/prepared
    - images
    params:
    - train
    outs:
    - model.bin
  evaluate:
    cmd: "printf '{\\"acc\\": 0.75, \\"loss\\": {\\"val\\": 0.5}}' > metrics.json && echo step,acc > plot.csv"
    deps:
    - model.bin
    metrics:
    - metrics.json:
        cache: false
    plots:
    - plot.csv:
        cache: false
        x: step
        y: acc
        template: simple
        title: Accuracy
  split:
    foreach: ${regions}
    do:
      cmd: grep ${item} data/raw.csv > split-${item}.csv
      deps:
      - data/raw.csv
      outs:
      - split-${item}.csv
  mat:
    matrix:
      model: [cnn, xgb]
      n: [1, 2]
    cmd: echo ${item.model} ${item.n} > mat-${item.model}-${item.n}.txt
    outs:
    - mat-${item.model}-${item.n}.txt:
        cache: false
  sub:
    wdir: sub
    cmd: cat in.txt in.txt > out.txt
    deps:
    - in.txt
    outs:
    - out.txt
  fit:
    foreach:
      uk:
        epochs: 3
      us:
        epochs: 5
    do:
      cmd: echo ${key} ${item.epochs} > fit-${key}.txt
      outs:
      - fit-${key}.txt:
          cache: false
  score:
    cmd: "echo 'auc: 0.9' > scores.yaml && echo 'loss:' >> scores.yaml && echo '  val: 0.25' >> scores.yaml"
    metrics:
    - scores.yaml:
        cache: false
""")
w("sub/in.txt", "sub input\n")
cmds = {
    "prepare": "./src/prepare.sh 0.25",
    "train": "echo lr=0.01 epochs=3 > model.bin && cat data/prepared/train.csv >> model.bin && ls images >> model.bin",
    "evaluate": "printf '{\"acc\": 0.75, \"loss\": {\"val\": 0.5}}' > metrics.json && echo step,acc > plot.csv",
}
for name in ("prepare", "train", "evaluate"):
    subprocess.run(cmds[name], shell=True, check=True)
for r in ("us", "eu"):
    subprocess.run(f"grep {r} data/raw.csv > split-{r}.csv", shell=True, check=True)
for mdl in ("cnn", "xgb"):
    for n in (1, 2):
        subprocess.run(f"echo {mdl} {n} > mat-{mdl}-{n}.txt", shell=True, check=True)
subprocess.run("cd sub && cat in.txt in.txt > out.txt", shell=True, check=True)
for key, epochs in (("uk", 3), ("us", 5)):
    subprocess.run(f"echo {key} {epochs} > fit-{key}.txt", shell=True, check=True)
score_cmd = "echo 'auc: 0.9' > scores.yaml && echo 'loss:' >> scores.yaml && echo '  val: 0.25' >> scores.yaml"
subprocess.run(score_cmd, shell=True, check=True)

lock = "schema: '2.0'\nstages:\n"
lock += "  prepare:\n    cmd: ./src/prepare.sh 0.25\n    deps:\n"
lock += yaml_entry(entry("data/raw.csv"), "data/raw.csv", 4) + yaml_entry(entry("src", cache=False), "src", 4)
lock += "    params:\n      params.yaml:\n        prepare.split: 0.25\n    outs:\n"
lock += yaml_entry(entry("data/prepared"), "data/prepared", 4)
lock += f"  train:\n    cmd: {cmds['train']}\n    deps:\n"
lock += yaml_entry(entry("data/prepared"), "data/prepared", 4) + yaml_entry(entry("images"), "images", 4)
lock += "    params:\n      params.yaml:\n        train:\n          lr: 0.01\n          epochs: 3\n    outs:\n"
lock += yaml_entry(entry("model.bin"), "model.bin", 4)
lock += f"  evaluate:\n    cmd: {json.dumps(cmds['evaluate'])}\n    deps:\n" + yaml_entry(entry("model.bin"), "model.bin", 4)
lock += "    outs:\n" + yaml_entry(entry("metrics.json", cache=False), "metrics.json", 4)
lock += yaml_entry(entry("plot.csv", cache=False), "plot.csv", 4)
for r in ("us", "eu"):
    lock += f"  split@{r}:\n    cmd: grep {r} data/raw.csv > split-{r}.csv\n    deps:\n"
    lock += yaml_entry(entry("data/raw.csv"), "data/raw.csv", 4)
    lock += "    outs:\n" + yaml_entry(entry(f"split-{r}.csv"), f"split-{r}.csv", 4)
for mdl in ("cnn", "xgb"):
    for n in (1, 2):
        lock += f"  mat@{mdl}-{n}:\n    cmd: echo {mdl} {n} > mat-{mdl}-{n}.txt\n    outs:\n"
        lock += yaml_entry(entry(f"mat-{mdl}-{n}.txt", cache=False), f"mat-{mdl}-{n}.txt", 4)
lock += "  sub:\n    cmd: cat in.txt in.txt > out.txt\n    deps:\n" + yaml_entry(entry("sub/in.txt"), "in.txt", 4)
lock += "    outs:\n" + yaml_entry(entry("sub/out.txt"), "out.txt", 4)
for key, epochs in (("uk", 3), ("us", 5)):
    lock += f"  fit@{key}:\n    cmd: echo {key} {epochs} > fit-{key}.txt\n    outs:\n"
    lock += yaml_entry(entry(f"fit-{key}.txt", cache=False), f"fit-{key}.txt", 4)
lock += f"  score:\n    cmd: {json.dumps(score_cmd)}\n    outs:\n"
lock += yaml_entry(entry("scores.yaml", cache=False), "scores.yaml", 4)
w("dvc.lock", lock)
w(".gitignore", "/images\n/model.bin\n/split-us.csv\n/split-eu.csv\n")
w("sub/.gitignore", "/out.txt\n")
w("data/.gitignore", "/raw.csv\n/prepared\n")
subprocess.run("git add -A && git -c user.name=t -c user.email=t@t commit -q -m 'DVC project'", shell=True, check=True)
