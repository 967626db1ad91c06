package dev.shallow.bench;

import dev.shallow.ShallowException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** This process's peak resident set size: VmHWM of /proc/self/status (Linux), as PyTorch's side reports ru_maxrss. */
public final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Pattern HIGH_WATER_MARK = Pattern.compile("(?m)^VmHWM:\\s+(\\d+) kB$");

    private PeakMemory() {
    }

    /** Peak RSS in bytes so far, or null where /proc/self/status does not exist. */
    public static Long residentPeakBytes() {
        if (!Files.isReadable(STATUS)) return null;
        try {
            return parseHighWaterMark(Files.readString(STATUS));
        } catch (IOException e) {
            throw new ShallowException("cannot read " + STATUS + ": " + e.getMessage(), e);
        }
    }

    /** The VmHWM line of a /proc/PID/status text, in bytes. */
    static long parseHighWaterMark(String status) {
        Matcher m = HIGH_WATER_MARK.matcher(status);
        if (!m.find()) throw new ShallowException("/proc/self/status has no 'VmHWM: N kB' line");
        return Long.parseLong(m.group(1)) * 1024;
    }
}
