# Sourced by capture.sh (SECTION=hardening): ids, typed global values and
# failure leftovers that the simulator must refuse or keep as runsc does.
# Uses scen/mkbundle/rr/rec/qdel from capture.sh.

scen hd
mkbundle "$B" sleep 1000
rr hd-id-colon "create with an id holding ':'" create --bundle "$B" "a:b"
rr hd-id-accent "create with a non-ASCII id" create --bundle "$B" "café"
rr hd-id-star "create with an id holding '*'" create --bundle "$B" "a*"
rr hd-id-at "create with an id holding '@'" create --bundle "$B" "x@y"
rr hd-id-121 "create with a 121-character id (lock file name too long)" create --bundle "$B" "$(printf 'y%.0s' $(seq 121))"
rr hd-id-93 "create with a 93-character id (control socket name too long)" create --bundle "$B" "$(printf 'z%.0s' $(seq 93))"
rr hd-id-dotdot "create .." create --bundle "$B" ..
rr hd-id-dot "create . (accepted)" create --bundle "$B" .
rr hd-id-dot-state "state . after create ." state .
qdel .
rec hd-platform-bogus-list "--platform=bogus list" 30 --root="$R" --network=none --platform=bogus list
rec hd-platform-bogus-create "--platform=bogus create" 30 --root="$R" --network=none --platform=bogus create --bundle "$B" "$ID3"
rec hd-overlay-shared "--file-access=shared --overlay2=root:memory list" 30 --root="$R" --network=none --file-access=shared --overlay2=root:memory list
rec hd-overlay-none-shared "--file-access=shared --overlay2=none list (accepted)" 30 --root="$R" --network=none --file-access=shared --overlay2=none list -quiet
rec hd-rootless-create "--rootless create" 30 --root="$R" --network=none --rootless create --bundle "$B" "$ID3"
rr hd-dup-1-create "create ID" create --bundle "$B" "$ID"
rr hd-dup-2-create-again "create ID again: already exists; runsc removes the metadata and orphans the sandbox" create --bundle "$B" "$ID"
rr hd-dup-3-state "state ID after the failed duplicate" state "$ID"
rr hd-dup-4-create-third "create ID a third time: the orphan holds the control socket" create --bundle "$B" "$ID"
rr hd-dup-5-delete-force "delete --force ID: nothing to delete" delete --force "$ID"
# The orphaned sandbox has no metadata left; end it by its command line.
for p in $(pgrep -f -- "--root=$R " 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
rr hd-corrupt-1-create "create ID2" create --bundle "$B" "$ID2"
printf 'garbage{' >"$R/bad_sandbox:bad.state"; : >"$R/bad_sandbox:bad.lock"
rr hd-corrupt-2-list "list with a corrupt neighbour state file (skipped, nothing on stderr)" list
rr hd-corrupt-3-state-other "state ID2 with a corrupt neighbour" state "$ID2"
rr hd-corrupt-4-state-missing "state of a missing id with a corrupt neighbour" state nope
qdel "$ID2"
mkdir -p "$S/nobundle"
(cd "$S/nobundle" && rr hd-create-no-bundle "create with no --bundle in a directory without config.json" create "$ID3")
(cd "$S/nobundle" && rr hd-restore-no-bundle "restore with no bundle and a missing image: the spec is read first" restore --image-path="$S/noimage" "$ID3")
