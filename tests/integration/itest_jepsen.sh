#!/bin/sh
# itest_jepsen.sh - the CI run of the Jepsen-style cluster test
# (tests/jepsen/run.sh): five agents in the namespace lab, three clients
# placing, releasing and listing while a seeded nemesis kills, pauses and
# partitions nodes for 60 s; then every node must have applied every
# acknowledged command, and after kill -9 of every agent every
# acknowledged, unreleased placement must be back.  Fails on any anomaly
# the checker (tests/jepsen/jepsen_check) finds in the recorded history.
# One fixed seed, so a failure is replayed with the same fault schedule
# (timings still differ: the nemesis acts on real processes).  The long
# run is documented in docs/testing.md.
# $1: the exogpu binary, $2: the source tree.  Root only: exit 77 (skip)
# otherwise.
set -u
EXOGPU=$1
SRC=$2
JEPSEN_SECONDS=${JEPSEN_SECONDS:-60} NEMESIS_SEED=${NEMESIS_SEED:-11} \
    exec sh "$SRC/tests/jepsen/run.sh" "$EXOGPU" "$SRC"
