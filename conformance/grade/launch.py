"""`grade CLASS --emit github-actions | k8s-job | slurm --shards N -o DIR`: ready-to-use launchers
that start N copies of `chatconform grade CLASS --shard K/N` on an engine graders already run, then
`chatconform grade merge` once they are done. chatconform supplies the command and the merge; the
engine schedules. Each writer returns {file name: text}; the tests validate them against each
engine's documented schema."""
from __future__ import annotations

import json
import shlex
import time

KINDS = ("github-actions", "k8s-job", "slurm")
GITHUB_MAX_JOBS = 256        # a matrix makes at most 256 jobs
GITHUB_MAX_MINUTES = 360     # a job on GitHub's runners runs at most 6 hours


class LaunchError(Exception):
    """The engine cannot run the class as asked (a usage error: exit 2)."""
PACKAGES = "xvfb xauth bubblewrap python3-tk"   # what .ci/run and the Dockerfile install


def quoted(args) -> str:
    return " ".join(shlex.quote(str(a)) for a in args)


def hours(seconds: float) -> str:
    """Slurm's --time, D-HH:MM:SS."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    return f"{days}-{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


def github_actions(what: list, count: int, options: list, source: str, limit_s: float) -> dict:
    if count > GITHUB_MAX_JOBS:
        raise LaunchError(f"a GitHub Actions matrix makes at most {GITHUB_MAX_JOBS} jobs: --shards {count} is too many")
    grade = quoted(["chatconform", "grade", *what, *options, "--no-progress"])
    class_path = what[-1]
    minutes = min(GITHUB_MAX_MINUTES, max(30, int(limit_s / 60) + 1))
    shards = json.dumps(list(range(1, count + 1)))
    text = f"""# chatconform: the class {class_path} graded as {count} shards (a matrix), then merged.
# Put this file in .github/workflows/ of the repository that holds the class and start it by hand
# (Actions, "chatconform grade", Run workflow). The merged grades are the artifact "grades".
name: chatconform grade
'on':
  workflow_dispatch: {{}}
permissions:
  contents: read
jobs:
  grade:
    name: shard ${{{{ matrix.shard }}}} of {count}
    runs-on: ubuntu-latest
    timeout-minutes: {minutes}
    strategy:
      fail-fast: false
      matrix:
        shard: {shards}
    steps:
    - uses: actions/checkout@v4
    - uses: actions/setup-python@v5
      with:
        python-version: "3.11"
    - name: Install chatconform
      run: |
        sudo apt-get update -qq
        sudo apt-get install -y -qq --no-install-recommends {PACKAGES}
        # bubblewrap needs user namespaces, which Ubuntu's AppArmor restricts by default
        sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
        python -m pip install --quiet "{source}"
    - name: Grade one shard
      run: |
        {grade} --shard ${{{{ matrix.shard }}}}/{count} -o shard-${{{{ matrix.shard }}}}
    - uses: actions/upload-artifact@v4
      if: always()
      with:
        name: shard-${{{{ matrix.shard }}}}
        path: shard-${{{{ matrix.shard }}}}/
        retention-days: 7
        overwrite: true
  merge:
    needs: grade
    # also after a failed shard (the merge then names what is missing), not after a cancel
    if: ${{{{ !cancelled() }}}}
    runs-on: ubuntu-latest
    steps:
    - uses: actions/setup-python@v5
      with:
        python-version: "3.11"
    - run: python -m pip install --quiet "{source}"
    - uses: actions/download-artifact@v4
      with:
        pattern: shard-*
        path: shards
    - name: Merge the shards
      run: chatconform grade merge shards/shard-* -o grades
    - uses: actions/upload-artifact@v4
      with:
        name: grades
        path: grades/
"""
    return {"chatconform-grade.yml": text}


def k8s_job(protocol: list, count: int, options: list, image: str, limit_s: float, configs: dict) -> dict:
    """`configs`: files (the rubric, the layout) that travel in a ConfigMap, mounted at /config. Each
    launch writes under /out/RUN (its own run id): manifests an earlier launch left on the claim
    never stand in for this one's."""
    run = time.strftime("run-%Y%m%d-%H%M%S")
    grade = quoted(["chatconform", "grade", *protocol, "/class", *options, "--no-progress", "--shard", "auto",
                    "--shards", count])
    wait_s = int(limit_s)
    finished = f"grep -l '\"complete\": true' /out/{run}/shard-*/shard.json 2>/dev/null | wc -l"
    wait = (f'end=$(( $(date +%s) + {wait_s} )); until [ "$({finished})" -ge {count} ] || '
            f'[ "$(date +%s)" -ge "$end" ]; do sleep 15; done')
    config_map = "" if not configs else "---\n" + config_map_of(configs)
    config_volume = "" if not configs else '''
        - name: config
          mountPath: /config
          readOnly: true'''
    config_claim = "" if not configs else '''
      - name: config
        configMap:
          name: chatconform-config'''
    text = f"""# chatconform: a class graded as {count} shards by a Kubernetes Indexed Job, then merged.
#   docker build -t {image} .      # the project's Dockerfile; push it where the cluster pulls from
#   kubectl apply -f chatconform-k8s.yaml
#   kubectl wait --for=condition=complete job/chatconform-merge-{run} --timeout={wait_s + 600}s
# The class is read from the claim chatconform-class (its root is the class), the shards and the
# merged grades (/out/{run}/grades) are written to the claim chatconform-out (ReadWriteMany).
# privileged: the harness makes a private network and a bubblewrap sandbox per check.
apiVersion: batch/v1
kind: Job
metadata:
  name: chatconform-grade-{run}
  labels:
    app.kubernetes.io/name: chatconform
spec:
  completionMode: Indexed
  completions: {count}
  parallelism: {count}
  backoffLimit: {2 * count}
  activeDeadlineSeconds: {wait_s}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: chatconform
    spec:
      restartPolicy: Never
      containers:
      - name: grade
        image: {image}
        command: ["sh", "-c"]
        # JOB_COMPLETION_INDEX counts from 0: shard K = index + 1 (--shard auto reads it)
        args: [{json.dumps(f'exec {grade} -o "/out/{run}/shard-$((JOB_COMPLETION_INDEX + 1))"')}]
        securityContext:
          privileged: true
        resources:
          requests:
            cpu: "2"
            memory: 4Gi
        volumeMounts:
        - name: class
          mountPath: /class
          readOnly: true
        - name: out
          mountPath: /out{config_volume}
      volumes:
      - name: class
        persistentVolumeClaim:
          claimName: chatconform-class
          readOnly: true
      - name: out
        persistentVolumeClaim:
          claimName: chatconform-out{config_claim}
---
# The merge: it waits until every shard has written its manifest (or the grading's deadline has
# passed: then the merge names the shards that are missing), then joins them into /out/grades.
apiVersion: batch/v1
kind: Job
metadata:
  name: chatconform-merge-{run}
  labels:
    app.kubernetes.io/name: chatconform
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: wait-for-shards
        image: {image}
        command: ["sh", "-c"]
        args: [{json.dumps(wait)}]
        volumeMounts:
        - name: out
          mountPath: /out
      containers:
      - name: merge
        image: {image}
        command: ["sh", "-c"]
        args: ["exec chatconform grade merge /out/{run}/shard-* -o /out/{run}/grades"]
        volumeMounts:
        - name: out
          mountPath: /out
      volumes:
      - name: out
        persistentVolumeClaim:
          claimName: chatconform-out
{config_map}"""
    return {"chatconform-k8s.yaml": text}


def config_map_of(files: dict) -> str:
    data = "".join(f"  {json.dumps(name)}: {json.dumps(text)}\n" for name, text in files.items())
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: chatconform-config
  labels:
    app.kubernetes.io/name: chatconform
data:
{data}"""


def slurm(what: list, count: int, options: list, folder: str, limit_s: float) -> dict:
    if any(c.isspace() for c in folder):
        raise LaunchError(f"#SBATCH --output cannot name a folder with spaces: {folder!r}; give another -o")
    # the shard's count is written in, not read from the array: a task resubmitted on its own
    # (sbatch --array=3) is still shard 3 of N
    grade = quoted(["chatconform", "grade", *what, *options, "--no-progress"])
    class_path = what[-1]
    out = shlex.quote(folder)
    array = f"""#!/bin/bash
# chatconform: shard $SLURM_ARRAY_TASK_ID of {count} of the class {class_path} (submit.sh submits it)
#SBATCH --job-name=chatconform-grade
#SBATCH --array=1-{count}
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time={hours(limit_s)}
#SBATCH --output={folder}/logs/grade-%A_%a.out
set -euo pipefail
exec {grade} --shard "$SLURM_ARRAY_TASK_ID/{count}" -o {out}/shard-"$SLURM_ARRAY_TASK_ID"
"""
    merge = f"""#!/bin/bash
# chatconform: the {count} shards merged into {folder}/grades (submit.sh runs it after the array)
#SBATCH --job-name=chatconform-merge
#SBATCH --cpus-per-task=1
#SBATCH --mem=2G
#SBATCH --time=00:30:00
#SBATCH --output={folder}/logs/merge-%j.out
set -euo pipefail
exec chatconform grade merge {out}/shard-* -o {out}/grades
"""
    submit = f"""#!/bin/bash
# chatconform: submit the grading array and the merge that waits for it (afterany: a failed shard
# still ends in a merge that names it). Run it where sbatch works: bash {folder}/submit.sh
set -euo pipefail
mkdir -p {out}/logs
array=$(sbatch --parsable {out}/grade.sbatch)
array=${{array%%;*}}
merge=$(sbatch --parsable --dependency=afterany:"$array" {out}/merge.sbatch)
echo "chatconform: grading job $array ({count} shards), merge job ${{merge%%;*}}: {folder}/grades when it ends"
"""
    return {"grade.sbatch": array, "merge.sbatch": merge, "submit.sh": submit}
