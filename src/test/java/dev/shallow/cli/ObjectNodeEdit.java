package dev.shallow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;

/** Test helper: a copy of a JSON object file without some keys. */
final class ObjectNodeEdit {
    private ObjectNodeEdit() {
    }

    static void without(Path from, Path to, String... keys) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = (ObjectNode) json.readTree(from.toFile());
        for (String k : keys) o.remove(k);
        json.writeValue(to.toFile(), o);
    }
}
