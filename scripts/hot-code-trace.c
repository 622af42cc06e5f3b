/* hot-code-trace SYMBOLS OUTPUT PROGRAM [ARGUMENT...]
 *
 * Runs PROGRAM with a one-shot breakpoint on the first byte of every function listed in
 * SYMBOLS (lines of "hex-address name", as llvm-nm prints them) and writes to OUTPUT the
 * name of each function entered, once. A breakpoint is taken out when first hit, so the
 * program runs at full speed once its paths are warm: a trace costs one stop a function,
 * not one a call. Threads and forked children are followed (a child shares the program's
 * breakpoints until it execs). For scripts/hot-code, which lays yizhand's code out from
 * what it prints. */
#if !defined(__x86_64__)
#error "hot-code-trace knows x86-64's breakpoint (int3) only"
#endif
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

struct function {
    uint64_t address;
    char *name;
    unsigned char first_byte;
    int entered;
};

static struct function *functions;
static size_t function_count;

static int by_address(const void *a, const void *b) {
    uint64_t x = ((const struct function *)a)->address, y = ((const struct function *)b)->address;
    return x < y ? -1 : x > y;
}

static struct function *function_at(uint64_t address) {
    size_t low = 0, high = function_count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (functions[middle].address < address) low = middle + 1;
        else high = middle;
    }
    return low < function_count && functions[low].address == address ? &functions[low] : NULL;
}

/* Reads SYMBOLS, sorted by address, one function an address (aliases keep their first name). */
static int read_symbols(const char *path) {
    FILE *file = fopen(path, "r");
    if (!file) return -1;
    size_t capacity = 1 << 16;
    functions = malloc(capacity * sizeof *functions);
    char line[8192];
    while (fgets(line, sizeof line, file)) {
        char *name = strchr(line, ' ');
        if (!name) continue;
        *name++ = 0;
        name[strcspn(name, "\n")] = 0;
        if (function_count == capacity) functions = realloc(functions, (capacity *= 2) * sizeof *functions);
        functions[function_count++] = (struct function){strtoull(line, NULL, 16), strdup(name), 0, 0};
    }
    fclose(file);
    qsort(functions, function_count, sizeof *functions, by_address);
    size_t unique = 0;
    for (size_t i = 0; i < function_count; i++)
        if (unique == 0 || functions[i].address != functions[unique - 1].address) functions[unique++] = functions[i];
    function_count = unique;
    return 0;
}

/* Where the kernel mapped the start of PROGRAM's file in PID (position-independent). */
static uint64_t load_address(pid_t pid, const char *program) {
    char maps_path[64], line[4096], real[4096];
    if (!realpath(program, real)) return 0;
    snprintf(maps_path, sizeof maps_path, "/proc/%d/maps", pid);
    FILE *maps = fopen(maps_path, "r");
    uint64_t start = 0, found = 0;
    unsigned long long offset;
    while (maps && !found && fgets(line, sizeof line, maps)) {
        char file[4096] = "";
        if (sscanf(line, "%lx-%*x %*s %llx %*s %*s %4095s", &start, &offset, file) >= 2 && offset == 0 && strcmp(file, real) == 0)
            found = start;
    }
    if (maps) fclose(maps);
    return found;
}

static void write_first_byte(pid_t pid, uint64_t address, unsigned char byte) {
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)address, 0);
    if (errno) return;
    ptrace(PTRACE_POKETEXT, pid, (void *)address, (void *)((word & ~0xffL) | byte));
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: hot-code-trace SYMBOLS OUTPUT PROGRAM [ARGUMENT...]\n");
        return 2;
    }
    if (read_symbols(argv[1]) != 0) {
        perror(argv[1]);
        return 2;
    }
    FILE *output = fopen(argv[2], "w");
    if (!output) {
        perror(argv[2]);
        return 2;
    }
    pid_t program = fork();
    if (program == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[3], argv + 3);
        _exit(127);
    }
    int status;
    /* The program stops once exec has mapped it, before its first instruction. */
    if (waitpid(program, &status, 0) != program || !WIFSTOPPED(status)) {
        fprintf(stderr, "hot-code-trace: %s did not start under ptrace\n", argv[3]);
        return 2;
    }
    uint64_t base = load_address(program, argv[3]);
    for (size_t i = 0; i < function_count; i++) {
        functions[i].address += base;
        errno = 0;
        long word = ptrace(PTRACE_PEEKTEXT, program, (void *)functions[i].address, 0);
        if (errno) continue;
        functions[i].first_byte = word & 0xff;
        write_first_byte(program, functions[i].address, 0xcc); /* int3 */
    }
    /* Exec too: without it, a traced child that execs (yizhand's config check) is sent a
     * plain SIGTRAP, which this loop would pass on and which would kill it. */
    ptrace(PTRACE_SETOPTIONS, program, 0,
        PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    ptrace(PTRACE_CONT, program, 0, 0);

    int exit_status = 0;
    pid_t thread;
    while ((thread = waitpid(-1, &status, __WALL)) > 0) {
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (thread == program) exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        int signal = WSTOPSIG(status);
        if (status >> 16) {
            signal = 0; /* a clone, fork or exec event */
        } else if (signal == SIGTRAP) {
            struct user_regs_struct registers;
            ptrace(PTRACE_GETREGS, thread, 0, &registers);
            struct function *function = function_at(registers.rip - 1);
            if (function) {
                /* Another thread may have hit it first and restored it already: writing the
                 * first byte again is harmless, and this thread still goes back to it. */
                write_first_byte(thread, function->address, function->first_byte);
                registers.rip -= 1;
                ptrace(PTRACE_SETREGS, thread, 0, &registers);
                if (!function->entered) {
                    function->entered = 1;
                    fprintf(output, "%s\n", function->name);
                }
                signal = 0;
            }
        } else if (signal == SIGSTOP) {
            signal = 0; /* a new thread's first stop */
        }
        ptrace(PTRACE_CONT, thread, 0, (void *)(long)signal);
    }
    return fclose(output) == 0 ? exit_status : 2;
}
