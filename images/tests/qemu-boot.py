#!/usr/bin/env python3
"""Boot the RAM image under plain QEMU (no Xen) and check it.

    qemu-boot.py KERNEL INITRD autorun NAME   # tt.autorun=NAME, expect TT-GUEST-DONE
    qemu-boot.py KERNEL INITRD login          # log in as root/root, run a command
    qemu-boot.py KERNEL disk.img autorun NAME # the disk image as a virtio disk
                                              # (the kernel needs virtio-blk and ext4 built in)

This checks the image, not Xen: any x86-64 kernel with a serial console
(Debian's own, or TT Linux) will do. Prints the console, ends with one line
"PASS ..." or "tt-xen: ..." and exit code 0 or 1.
"""
import os
import select
import subprocess
import sys
import time

TIMEOUT = int(os.environ.get("TT_BOOT_TIMEOUT", "180"))


def fail(msg):
    print(f"tt-xen: {msg}", flush=True)
    sys.exit(1)


def main():
    if len(sys.argv) < 4 or sys.argv[3] not in ("autorun", "login"):
        fail("usage: qemu-boot.py KERNEL INITRD autorun NAME|login. Give the arguments")
    kernel, initrd, mode = sys.argv[1:4]
    append = "console=ttyS0 quiet"
    if mode == "autorun":
        append += f" tt.autorun={sys.argv[4]}"
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-nographic",
           "-no-reboot", "-kernel", kernel]
    if initrd.endswith("disk.img"):
        # snapshot=on: the guest's writes never reach the image.
        cmd += ["-drive", f"file={initrd},if=virtio,format=raw,snapshot=on"]
        append += " root=/dev/vda rw"
    else:
        cmd += ["-initrd", initrd]
    cmd += ["-append", append]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    seen = b""
    sent_user = sent_pass = sent_cmd = False
    deadline = time.time() + TIMEOUT
    ok = False
    while time.time() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 1.0)
        if r:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            sys.stdout.write(chunk.decode("utf-8", "replace"))
            sys.stdout.flush()
            seen += chunk
        if mode == "autorun":
            if b"TT-GUEST-DONE" in seen and b"Power down" in seen:
                ok = True
                break
            continue
        if not sent_user and b"login:" in seen:
            time.sleep(0.5)
            proc.stdin.write(b"root\n")
            proc.stdin.flush()
            sent_user = True
        elif sent_user and not sent_pass and b"Password:" in seen:
            time.sleep(0.5)
            proc.stdin.write(b"root\n")
            proc.stdin.flush()
            sent_pass = True
        elif sent_pass and not sent_cmd and b"# " in seen.split(b"Password:")[-1]:
            proc.stdin.write(b"echo TT-LOGIN-$((6*7)) $(id -u); poweroff -f\n")
            proc.stdin.flush()
            sent_cmd = True
        elif sent_cmd and b"TT-LOGIN-42 0" in seen:
            ok = True
            time.sleep(2)
            break
    proc.kill()
    proc.wait()
    if not ok:
        fail(f"the guest did not pass '{mode}' within {TIMEOUT} s. Read the console above")
    what = f"autorun {sys.argv[4]}" if mode == "autorun" else mode
    print(f"\nPASS {what} ({os.path.basename(initrd)})", flush=True)


main()
