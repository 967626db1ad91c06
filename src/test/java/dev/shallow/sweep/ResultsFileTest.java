package dev.shallow.sweep;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultsFileTest {
    private static PointResult point(String fraction, int n, List<Integer> removed, double loss) {
        Point p = new Point("angular", fraction, n, removed);
        return new PointResult(p, null, List.of(new TaskScore("loss", "loss", loss, Double.NaN), new TaskScore("arc_easy", "acc", 0.25, 0.1)), 1.5);
    }

    @Test
    void pointsRoundTripAndAPartialLastLineIsDropped(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("results.jsonl");
        PointResult a = point("0", 0, List.of(), 1.0), b = point("0.4", 2, List.of(2, 3), Double.POSITIVE_INFINITY);
        PointResult shared = new PointResult(new Point("bi", "0.4", 2, List.of(2, 3)), b.point(), b.scores(), 0);
        ResultsFile.append(file, a);
        ResultsFile.append(file, b);
        ResultsFile.append(file, shared);
        Files.writeString(file, "{\"strategy\":\"ang", StandardOpenOption.APPEND);
        assertEquals(List.of(a, b, shared), ResultsFile.read(file), "read ignores the unfinished line");
        long before = Files.size(file);
        ResultsFile.dropPartialLine(file);
        assertEquals(before - "{\"strategy\":\"ang".length(), Files.size(file));
        assertEquals(List.of(a, b, shared), ResultsFile.read(file));
        assertTrue(Files.readString(file).contains("\"stderr\":null"), "NaN is written as null");
    }

    @Test
    void aMalformedCompleteLineNamesItsLine(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("results.jsonl");
        ResultsFile.append(file, point("0", 0, List.of(), 1.0));
        Files.writeString(file, "{\"strategy\":\"angular\"}\n", StandardOpenOption.APPEND);
        ShallowException e = assertThrows(ShallowException.class, () -> ResultsFile.read(file));
        assertTrue(e.getMessage().startsWith(file + ": line 2 is not a sweep point"), e.getMessage());
    }
}
