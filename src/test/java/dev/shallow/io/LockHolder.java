package dev.shallow.io;

import java.nio.file.Path;

/** Holds the run lock of directory args[0] until its standard input closes (a second process for {@link RunLockTest}). */
public final class LockHolder {
    public static void main(String[] args) throws Exception {
        try (RunLock lock = RunLock.directory(Path.of(args[0]))) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                Thread.onSpinWait();
            }
        }
    }
}
