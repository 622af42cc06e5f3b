"""What the emulated machine's checks (Tests/Kernel/check, Tests/Kernel/unit-check) share:
reading the report the guest wrote, and ending with the verdict."""
import sys


def read(out):
    """The report's key=value lines as a dict, each line printed, and the test script's exit
    status; exits 1, with the console's end, when the guest wrote no report."""
    try:
        lines = open(f"{out}/report", encoding="utf-8").read().splitlines()
        finished = open(f"{out}/exit").read().strip()
    except OSError as error:
        print(f"kernel-test: no report ({error}): the guest did not run the test; its console:")
        print(open(f"{out}/console.log", errors="replace").read()[-3000:])
        sys.exit(1)
    for line in lines:
        print("  " + line)
    return dict(line.split("=", 1) for line in lines if "=" in line), finished


def mismatches(seen, expected):
    """Each key whose value is not the one expected."""
    return [f"{key}: expected {value!r}, saw {seen.get(key)!r}" for key, value in expected.items() if seen.get(key) != value]


def verdict(failed, finished, logs, passed):
    """Ends the check. On a failure (a test script that did not exit 0 is one): the end of
    each of the logs there is, then the failures, last, so that a log that keeps only the
    end of the output (CI's) still says what failed; exit 1. Otherwise prints `passed`."""
    if finished != "0":
        failed.append(f"the test script exited with {finished}")
    if failed:
        for log in logs:
            try:
                print(open(log, errors="replace").read()[-3000:])
            except OSError:
                pass
        for failure in failed:
            print("kernel-test FAILED: " + failure)
        sys.exit(1)
    print(passed)
