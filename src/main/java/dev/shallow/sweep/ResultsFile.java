package dev.shallow.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.io.StrictJson;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code results.jsonl}: one {@link PointResult} a line, appended and synced to disk as each point finishes. A process
 * killed in the middle of an append leaves a last line without its newline: {@link #read} ignores it, {@link #dropPartialLine}
 * removes it.
 */
final class ResultsFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ResultsFile() {
    }

    /** The points of {@code file}'s complete lines (none when it does not exist); a line that does not parse is a one-line error naming it. */
    static List<PointResult> read(Path file) {
        byte[] bytes = bytes(file);
        List<PointResult> points = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') continue;
            String what = "line " + (points.size() + 1);
            var node = StrictJson.parseObject(file, what, Arrays.copyOfRange(bytes, start, i));
            try {
                points.add(PointResult.fromJson(node));
            } catch (IllegalArgumentException e) {
                throw ShallowException.at(file, what + " is not a sweep point: " + e.getMessage());
            }
            start = i + 1;
        }
        return points;
    }

    /** Truncates {@code file} after its last newline: drops what a process killed in the middle of an append left. */
    static void dropPartialLine(Path file) {
        byte[] bytes = bytes(file);
        int complete = bytes.length;
        while (complete > 0 && bytes[complete - 1] != '\n') complete--;
        if (complete == bytes.length) return;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(complete);
            ch.force(true);
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot truncate its unfinished last line: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(Path file) {
        if (!Files.exists(file)) return new byte[0];
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Appends {@code point} as one line and forces it to disk before returning. */
    static void append(Path file, PointResult point) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer line = ByteBuffer.wrap((JSON.writeValueAsString(point.toJson()) + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) ch.write(line);
            ch.force(true);
        } catch (IOException e) {
            throw ShallowException.at(file, "cannot append: " + e.getMessage(), e);
        }
    }
}
