package dev.shallow.eval.task;

import dev.shallow.ShallowException;
import dev.shallow.data.DocumentSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A strict RFC 4180 reader: records end at "\n" or "\r\n" (the file's last one may end at the end of the file),
 * fields are separated by ',', a field in double quotes may hold ',', '"' written as '""' and line breaks, kept as
 * they are. A quote inside an unquoted field, text after a closing quote and an unclosed quote are errors.
 */
final class Csv {
    private Csv() {
    }

    /** A record: its 1-based number, the line it starts on and its fields. */
    record Row(Path file, int number, int line, List<String> fields) {
        /** "FILE: record N (line L): problem". */
        ShallowException error(String problem) {
            return ShallowException.at(file, "record " + number + " (line " + line + "): " + problem);
        }
    }

    static List<Row> read(Path file) {
        String text = DocumentSource.utf8(file);
        int n = text.length(), i = 0, line = 1;
        List<Row> rows = new ArrayList<>();
        while (i < n) {
            Row row = new Row(file, rows.size() + 1, line, new ArrayList<>());
            while (true) {
                StringBuilder field = new StringBuilder();
                if (i < n && text.charAt(i) == '"') {
                    for (i++; ; ) {
                        if (i == n) throw row.error("a quoted field is never closed");
                        char c = text.charAt(i++);
                        if (c == '"' && i < n && text.charAt(i) == '"') i++;
                        else if (c == '"') break;
                        else if (c == '\n') line++;
                        field.append(c);
                    }
                    if (i < n && !endsField(text, i)) throw row.error("text after a closing quote");
                } else {
                    for (; i < n && !endsField(text, i); i++) {
                        if (text.charAt(i) == '"') throw row.error("a quote inside an unquoted field");
                        field.append(text.charAt(i));
                    }
                }
                row.fields().add(field.toString());
                if (i == n || text.charAt(i) != ',') break;
                i++;
            }
            if (i < n) {
                i += text.charAt(i) == '\r' ? 2 : 1;
                line++;
            }
            rows.add(row);
        }
        return rows;
    }

    /** Whether position i holds ',' or a record end ("\n" or "\r\n"). */
    private static boolean endsField(String text, int i) {
        char c = text.charAt(i);
        return c == ',' || c == '\n' || c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n';
    }
}
