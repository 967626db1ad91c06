package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CsvTest {
    @TempDir
    Path tmp;

    List<Csv.Row> read(String text) throws IOException {
        Path f = tmp.resolve("t.csv");
        Files.writeString(f, text);
        return Csv.read(f);
    }

    String error(String text) throws IOException {
        Path f = tmp.resolve("t.csv");
        Files.writeString(f, text);
        return assertThrows(ShallowException.class, () -> Csv.read(f)).getMessage().substring(f.toString().length() + 2);
    }

    @Test
    void quotedFieldsHoldCommasQuotesAndLineBreaks() throws IOException {
        List<Csv.Row> rows = read("a,\"b,c\",\"d\"\"e\"\r\n\"multi\r\nline\",x,\n\"\",last");
        assertEquals(List.of("a", "b,c", "d\"e"), rows.get(0).fields());
        assertEquals(List.of("multi\r\nline", "x", ""), rows.get(1).fields());
        assertEquals(List.of("", "last"), rows.get(2).fields());
        assertEquals(List.of(1, 2, 4), rows.stream().map(Csv.Row::line).toList());
        assertEquals(3, rows.get(2).number());
    }

    @Test
    void aFinalLineBreakEndsTheLastRecord() throws IOException {
        assertEquals(1, read("a,b\n").size());
        assertEquals(List.of("a", ""), read("a,").getFirst().fields());
    }

    @Test
    void strictQuoting() throws IOException {
        assertEquals("record 2 (line 2): a quote inside an unquoted field", error("a,b\nc,d\"e\n"));
        assertEquals("record 1 (line 1): text after a closing quote", error("\"a\"b,c\n"));
        assertEquals("record 2 (line 2): a quoted field is never closed", error("a\n\"b\nc\n"));
    }
}
