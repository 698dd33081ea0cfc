/* clients/jack/jack_autostart.c — start rilld on demand, as JACK starts jackd.
 *
 * jack_client_open without a running server starts one unless the program
 * passed JackNoStartServer or the environment has JACK_NO_START_SERVER. The
 * command line comes from the first of:
 *   $RILL_SERVER_CONFIG                     (a file; for tests and packagers)
 *   $XDG_CONFIG_HOME/rill/rilld.conf        (default ~/.config/rill/rilld.conf)
 *   /etc/rill/rilld.conf
 * whose first line that is neither blank nor a '#' comment is a rilld command
 * line, words separated by blanks, e.g. `rilld -T -d alsa -d hw:0 -p 128`
 * (common/server_config.c reads it; rilld --from-config reads the same).
 * Without a file: `rilld -T -d alsa` when the machine has a sound card, else
 * `rilld -T -d dummy`. Any -n/--name in it is replaced by the server name the
 * client asked for. A first word without '/' is looked up as $RILL_RILLD,
 * then in rill's bindir, then in PATH.
 *
 * The server is started in its own session (double fork) so that it outlives
 * the program; with -T it leaves with its last client.
 *
 * Thread: the thread that calls jack_client_open (never realtime).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clients/jack/jack_priv.h"
#include "common/server_config.h"
#include "rill/paths.h"

#define START_TIMEOUT_MS 10000

/* 1 when the server's socket accepts a connection. */
static int server_answers(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* Fork twice and exec; returns the server's pid or -errno. */
static pid_t spawn_server(const char *program, char **argv)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -errno;
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        return -e;
    }
    if (child == 0) {
        /* first child: a new session, then the server as its child */
        setsid();
        pid_t server = fork();
        if (server == 0) {
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (devnull >= 0)
                dup2(devnull, STDIN_FILENO);
            if (strchr(program, '/'))
                execv(program, argv);
            else
                execvp(program, argv);
            fprintf(stderr, "rill: cannot run %s: %s\n", program, strerror(errno));
            _exit(127);
        }
        ssize_t w = write(pfd[1], &server, sizeof(server));
        (void)w;
        _exit(server < 0 ? 1 : 0);
    }
    close(pfd[1]);
    pid_t server = -1;
    ssize_t r = read(pfd[0], &server, sizeof(server));
    close(pfd[0]);
    int status;
    waitpid(child, &status, 0);
    if (r != (ssize_t)sizeof(server) || server <= 0)
        return -ECHILD;
    return server;
}

/* Start a server named server (NULL: the default name). Returns 0 once it
 * answers, or -errno with a sentence in msg. */
int rill_jack_start_server(const char *server, char *msg, size_t msgsize)
{
    const char *name = rill_server_name(server);
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (rill_server_name_check(name) < 0 ||
        rill_server_socket_path(name, path, sizeof(path)) < 0) {
        snprintf(msg, msgsize, "cannot start a server named '%s': not a valid server name",
                 name);
        return -EINVAL;
    }
    char line[1024], from[512] = "";
    rill_server_config_line(line, sizeof(line), from, sizeof(from));
    char shown[1024];
    snprintf(shown, sizeof(shown), "%s", line);
    char *argv[RILL_SERVER_CONFIG_MAX_WORDS];
    char program[512];
    int argc = rill_server_config_argv(line, name, 0, argv, program, sizeof(program));
    if (argc < 0) {
        snprintf(msg, msgsize, "cannot start a server: the command line '%s'%s%s is %s", shown,
                 from[0] ? " in " : "", from, argc == -E2BIG ? "too long" : "empty");
        return argc;
    }
    pid_t pid = spawn_server(program, argv);
    if (pid < 0) {
        snprintf(msg, msgsize, "cannot start '%s': %s", shown, strerror((int)-pid));
        return (int)pid;
    }
    for (int waited = 0; waited < START_TIMEOUT_MS; waited += 20) {
        if (server_answers(path))
            return 0;
        if (kill(pid, 0) < 0 && errno == ESRCH) {
            snprintf(msg, msgsize,
                     "the server started as '%s'%s%s%s exited before it was ready (its "
                     "messages are above)",
                     shown, from[0] ? " (from " : "", from, from[0] ? ")" : "");
            return -ECHILD;
        }
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    snprintf(msg, msgsize, "the server started as '%s' did not answer within %d s", shown,
             START_TIMEOUT_MS / 1000);
    return -ETIMEDOUT;
}
