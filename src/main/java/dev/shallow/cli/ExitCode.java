package dev.shallow.cli;

/** The exit codes of {@code shallow} other than 0 (done; also --help and --version): the README's table. */
final class ExitCode {
    /** Something the user can act on: bad input, a refused output, a held lock, a full disk, numbers gone NaN, out of memory. */
    static final int ERROR = 1;
    /** A bad command line: an unknown option, a missing argument, a value out of its range. */
    static final int USAGE = 1;
    /** A bug in shallow: the message says "internal error"; SHALLOW_DEBUG=1 prints the stack trace. */
    static final int INTERNAL = 2;

    private ExitCode() {
    }
}
