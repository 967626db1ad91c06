package dev.shallow.data;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DocumentSourceTest {
    @Test
    void jsonLinesKeepTheLastOfAKeyNamedTwiceUnlessKeysMustBeUnique(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("twice.jsonl"), "{\"text\": \"a\"}\n\n{\"text\": \"b\", \"text\": \"\"}\n");
        assertEquals(List.of("a", ""), DocumentSource.jsonLines(file, row -> row.text("text")));
        assertEquals(List.of(1, 3), DocumentSource.jsonLines(file, DocumentSource.JsonLine::line));
        String message = assertThrows(ShallowException.class, () -> DocumentSource.jsonLines(file, true, row -> row)).getMessage();
        assertTrue(message.startsWith(file + ": line 3: not valid JSON: Duplicate field 'text'"), message);
    }
}
