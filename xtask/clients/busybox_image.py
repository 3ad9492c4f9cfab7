"""Writes a docker-archive image (what `docker save` writes) holding busybox.

usage: python3 busybox_image.py BUSYBOX OUT.tar REF

The image has one layer: the static busybox binary at /bin/busybox, a link
for every applet the client tests run, the directories a runtime mounts over,
and a known /etc/motd. `ctr image import` reads it with no network at all.
"""

import hashlib
import io
import json
import platform
import sys
import tarfile

APPLETS = ["sh", "cat", "pwd", "echo", "sleep", "true", "false", "ls", "env", "id"]
DIRS = ["bin", "dev", "etc", "proc", "root", "sys", "tmp", "var", "work"]
MOTD = b"welcome to the clients image\n"
# ctr imports only images for the host's platform, named as Go names them.
GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def add_file(tar, name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def layer(busybox_path):
    out = io.BytesIO()
    # The layer must not depend on when or where it was built: fixed owners
    # and times keep its digest, and so the image, the same on every run.
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for d in DIRS:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        with open(busybox_path, "rb") as f:
            add_file(tar, "bin/busybox", f.read(), 0o755)
        for applet in APPLETS:
            info = tarfile.TarInfo("bin/" + applet)
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            info.mode = 0o777
            tar.addfile(info)
        add_file(tar, "etc/motd", MOTD, 0o644)
        add_file(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
        add_file(tar, "etc/group", b"root:x:0:\n", 0o644)
    return out.getvalue()


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: busybox_image.py BUSYBOX OUT.tar REF")
    busybox_path, out_path, ref = argv[1:]
    layer_bytes = layer(busybox_path)
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps(
        {
            "architecture": GO_ARCH.get(platform.machine(), platform.machine()),
            "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "xtask clients"}],
        },
        sort_keys=True,
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": [ref], "Layers": ["layer.tar"]}]
    ).encode()
    with tarfile.open(out_path, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        add_file(tar, "layer.tar", layer_bytes, 0o644)
        add_file(tar, config_name, config, 0o644)
        add_file(tar, "manifest.json", manifest, 0o644)


if __name__ == "__main__":
    main(sys.argv)
