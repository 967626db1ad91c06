package dev.shallow.io;

import dev.shallow.ChildJvm;
import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run directory is one process's at a time; the second is told the holder's pid; a killed holder's lock is taken over. */
class RunLockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondProcessIsRefusedWithTheHoldersPid() throws Exception {
        Path run = tmp.resolve("run");
        Process holder = ChildJvm.of(LockHolder.class, run.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            ShallowException e = assertThrows(ShallowException.class, () -> RunLock.directory(run));
            assertTrue(e.getMessage().contains("pid " + holder.pid()), e.getMessage());
            assertTrue(e.getMessage().startsWith(run + ": "), e.getMessage());
        } finally {
            holder.destroyForcibly(); // SIGKILL: the lock dies with the process, its file stays
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(Files.exists(run.resolve(RunLock.FILE)));
        try (RunLock taken = RunLock.directory(run)) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(run.resolve(RunLock.FILE)));
        }
        assertFalse(Files.exists(run.resolve(RunLock.FILE)), "released: the lock file is removed");
        assertTrue(OutputPolicy.holdsOnlyShallowFiles(run));
    }

    @Test
    void thisProcessCannotTakeItsOwnLockTwice() {
        Path out = tmp.resolve("analysis.json");
        try (RunLock first = RunLock.file(out)) {
            ShallowException e = assertThrows(ShallowException.class, () -> RunLock.file(out));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        try (RunLock again = RunLock.file(out)) {
            assertTrue(Files.exists(tmp.resolve(".analysis.json" + RunLock.FILE)));
        }
        assertFalse(Files.exists(tmp.resolve(".analysis.json" + RunLock.FILE)));
    }
}
