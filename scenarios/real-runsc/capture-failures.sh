# Check order and leftovers: which check runsc makes first when a call is
# wrong in several ways (flags that conflict, and a container that is
# missing or in the wrong state), what a failed call leaves behind for the
# next one, and odd --root values. Sourced by capture.sh (after its helpers
# are defined); `SECTION=failures capture.sh` records only this part.

# ---- conflicting flags, on a missing container and on a running one
scen fo
mkbundle "$B" sleep 1000
mkproc "$S/process.json" true
M=$ID3
q create --bundle "$B" "$ID"; q start "$ID"
q exec --detach --pid-file "$S/h.pid" --internal-pid-file "$S/i.pid" "$ID" sleep 500
IP=$(cat "$S/i.pid" 2>/dev/null || echo 0)
for tgt in missing running; do
  T=$M; [ $tgt = running ] && T=$ID
  rr order-kill-all-pid-$tgt "kill --all --pid=N on a $tgt container" kill --all --pid="$IP" "$T" 9
  rr order-kill-bad-signal-$tgt "kill with signal BOGUS on a $tgt container" kill "$T" BOGUS
  rr order-kill-pid-bad-signal-$tgt "kill --pid=N with signal BOGUS on a $tgt container" kill --pid="$IP" "$T" BOGUS
  TMO=10 rr order-wait-pid-rootpid-$tgt "wait --pid --rootpid on a $tgt container" wait --pid="$IP" --rootpid="$IP" "$T"
  rr order-exec-process-and-args-$tgt "exec --process FILE with a command too, on a $tgt container" exec --process "$S/process.json" "$T" echo hi
  rr order-exec-process-missing-$tgt "exec --process <missing file> on a $tgt container" exec --process "$S/nope.json" "$T"
  rr order-exec-detach-no-pidfile-$tgt "exec --detach without --pid-file on a $tgt container" exec --detach "$T" true
  rr order-exec-pidfile-missing-dir-$tgt "exec --detach --pid-file in a missing dir on a $tgt container" exec --detach --pid-file "$S/nodir/x.pid" "$T" sleep 1
  rr order-checkpoint-no-image-$tgt "checkpoint without --image-path on a $tgt container" checkpoint "$T"
  rr order-ps-bad-format-$tgt "ps --format=yaml on a $tgt container" ps --format=yaml "$T"
  rr order-events-interval-0-$tgt "events --interval=0 --stats on a $tgt container" events --interval=0 --stats "$T"
  rr order-restore-existing-no-image-$tgt "restore without --image-path, id of a $tgt container" restore --bundle "$B" "$T"
  TMO=20 rr order-restore-missing-image-$tgt "restore --image-path <missing dir>, id of a $tgt container" restore --detach --image-path "$S/noimg" --bundle "$B" "$T"
done
rr order-delete-running-noforce "delete of a running container without --force" delete "$ID"
rr order-delete-running-noforce-state "state after that" state "$ID"
rr order-delete-running-and-missing "delete of a running container and a missing one, no --force" delete "$ID" "$M"
rr order-delete-missing-and-running "delete of a missing container and a running one, no --force" delete "$M" "$ID"
rr order-delete-after-state "state after those" state "$ID"
qdel "$ID" "$M"

# ---- leftovers: what a failed call leaves, and whether the next call passes
scen lo
mkbundle "$B" sleep 1000
mkbundle "$B2" /no/such/binary
printf '{"ociVersion": "1.0.2-dev", "process": {' > "$B3/config.json"
rr left-create-bad-json "create of a bundle with cut-short config.json" create --bundle "$B3" "$ID"
rr left-create-bad-json-list "list after it" list --format=json
rr left-create-bad-json-again "create the same id with a good bundle" create --bundle "$B" "$ID"
qdel "$ID"
rr left-create-pidfile-missing-dir "create --pid-file in a missing dir" create --bundle "$B" --pid-file "$S/nodir/c.pid" "$ID"
rr left-create-pidfile-missing-dir-state "state after it" state "$ID"
rr left-create-pidfile-missing-dir-again "create the same id again" create --bundle "$B" "$ID"
qdel "$ID"
rr left-run-bad-binary "run of a bundle whose binary does not exist" run --bundle "$B2" "$ID2"
rr left-run-bad-binary-state "state after it" state "$ID2"
rr left-run-bad-binary-again "run the same id again with a good bundle (detached)" run --detach --bundle "$B" "$ID2"
qdel "$ID2"
rr left-run-detach-pidfile-missing-dir "run --detach --pid-file in a missing dir" run --detach --bundle "$B" --pid-file "$S/nodir/r.pid" "$ID3"
rr left-run-detach-pidfile-missing-dir-state "state after it" state "$ID3"
qdel "$ID3"
rr left-create-bad-id "create with id bad/id" create --bundle "$B" "bad/id"
rr left-create-bad-id-list "list after it" list --format=json

# ---- odd --root values
scen rt
mkbundle "$B" sleep 1000
touch "$S/rootfile"
mkdir -p "$S/ro-root"; chmod 555 "$S/ro-root"
# uid 65534 must reach {tmp}: the scratch dirs are private by default.
chmod 711 "$WORK" "$S"
printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups %s "$@"\n' "$RUNSC" > "$WORK/runsc-as-nobody"
chmod 755 "$WORK/runsc-as-nobody"
# rdel ROOT: force-delete the scenario's ids under ROOT (cwd {tmp}).
rdel() { for c in "$ID" "$ID2"; do (cd "$S" && timeout 30 "$RUNSC" --root="$1" delete --force "$c" >/dev/null 2>&1); done; }
for c in "list:list" "list-json:list --format=json" "state:state $ID" "create:create --bundle $B $ID" "delete-force:delete --force $ID" "run:run --detach --bundle $B $ID"; do
  nm=${c%%:*}; args=${c#*:}
  # shellcheck disable=SC2086
  rec root-missing-$nm "$args with --root=<missing dir>" 30 --root="$S/no-such-root" --network=none $args
  rdel "$S/no-such-root"; rm -rf "$S/no-such-root"
  # shellcheck disable=SC2086
  rec root-file-$nm "$args with --root=<regular file>" 30 --root="$S/rootfile" --network=none $args
  # shellcheck disable=SC2086
  (cd "$S" && rec root-relative-$nm "$args with --root=relroot (relative, cwd={tmp})" 30 --root=relroot --network=none $args)
  rdel relroot; rm -rf "$S/relroot"
  # shellcheck disable=SC2086
  RUNSC=$WORK/runsc-as-nobody rec root-unwritable-$nm "$args run as uid 65534 (setpriv) with --root=<dir mode 555 owned by root>" 30 --root="$S/ro-root" --network=none $args
  rdel "$S/ro-root"
done
chmod 755 "$S/ro-root"
