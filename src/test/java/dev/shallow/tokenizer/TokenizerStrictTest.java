package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutations of stories260K's tokenizer.json that Hugging Face tokenizers (checked with the npm package 0.23.2) refuses,
 * or accepts and then behaves in a way Shallow cannot reproduce: each is refused in one line naming the file and the
 * JSON path.
 */
class TokenizerStrictTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void originalStillLoads() throws IOException {
        Tokenizer tok = Tokenizer.load(mutated(d -> { }));
        assertArrayEquals(new int[] {1, 403, 407, 261, 378, 432, 261, 430}, tok.encode("Once upon a time, ab", true));
    }

    @Test
    void unknownTopLevelField() throws IOException {
        assertRefused(d -> d.set("normalizerx", d.remove("normalizer")), "normalizerx: unknown field");
    }

    @Test
    void vocabIdNotAnInteger() throws IOException {
        assertRefused(d -> vocab(d).put("<0x05>", -0.5), "model.vocab[\"<0x05>\"]");
    }

    @Test
    void vocabIdIntegralFloatAccepted() throws IOException {
        Tokenizer.load(mutated(d -> vocab(d).put("<0x05>", 8.0)));
    }

    @Test
    void vocabIdsShared() throws IOException {
        assertRefused(d -> vocab(d).put("▁of", 0), "model.vocab[\"▁of\"]: id 0 is also the id of \"<unk>\"");
    }

    @Test
    void mergePartRenamedInVocab() throws IOException {
        assertRefused(d -> vocab(d).set("▁tx", vocab(d).remove("▁t")), "merge 1 references token \"▁t\" that is not in the vocab");
    }

    @Test
    void dropoutOutOfRange() throws IOException {
        assertRefused(d -> model(d).put("dropout", 1.5), "model.dropout");
    }

    @Test
    void dropoutRandomizes() throws IOException {
        assertRefused(d -> model(d).put("dropout", 0.5), "model.dropout");
    }

    @Test
    void modelFlagNotBoolean() throws IOException {
        assertRefused(d -> model(d).put("fuse_unk", 1), "model.fuse_unk: not a boolean");
    }

    @Test
    void addedTokensNull() throws IOException {
        assertRefused(d -> d.putNull("added_tokens"), "added_tokens: not an array");
    }

    @Test
    void addedTokenFlagMissing() throws IOException {
        assertRefused(d -> added(d, 1).remove("normalized"), "added_tokens[1].normalized: not a boolean");
    }

    @Test
    void addedTokenIdOtherThanVocab() throws IOException {
        assertRefused(d -> added(d, 1).put("id", 0), "added_tokens[1].id: 0, but \"<s>\" has id 1");
    }

    @Test
    void addedTokenOutsideVocabNotNextId() throws IOException {
        assertRefused(d -> ((ArrayNode) d.get("added_tokens")).addObject().put("id", 600).put("content", "zzz")
                .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true),
                "added_tokens[3].id: 600, but \"zzz\" has id 512");
    }

    @Test
    void addedTokenOutsideVocabAtNextIdAccepted() throws IOException {
        Tokenizer tok = Tokenizer.load(mutated(d -> ((ArrayNode) d.get("added_tokens")).addObject().put("id", 512).put("content", "zzz")
                .put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true)));
        assertArrayEquals(new int[] {261, 410, 512, 410, 268}, tok.encode("a zzz b", false));
    }

    @Test
    void templatePairPieceEmpty() throws IOException {
        assertRefused(d -> ((ArrayNode) template(d).get("pair")).set(3, JSON.createObjectNode()), "post_processor.pair[3]");
    }

    @Test
    void templatePairMissing() throws IOException {
        assertRefused(d -> template(d).remove("pair"), "post_processor: missing array field \"pair\"");
    }

    @Test
    void templateTypeIdMissing() throws IOException {
        assertRefused(d -> ((ObjectNode) template(d).get("single").get(0).get("SpecialToken")).remove("type_id"),
                "post_processor.single[0].SpecialToken.type_id");
    }

    @Test
    void templateSequenceOtherThanAB() throws IOException {
        assertRefused(d -> ((ObjectNode) template(d).get("single").get(1).get("Sequence")).put("id", "C"),
                "post_processor.single[1].Sequence.id");
    }

    @Test
    void templateSingleUsesB() throws IOException {
        assertRefused(d -> ((ObjectNode) template(d).get("single").get(1).get("Sequence")).put("id", "B"),
                "post_processor.single[1].Sequence.id");
    }

    @Test
    void templatePairNamesUnknownSpecialToken() throws IOException {
        assertRefused(d -> ((ObjectNode) template(d).get("pair").get(2).get("SpecialToken")).put("id", "</s>"),
                "post_processor.pair[2].SpecialToken.id: \"</s>\" is not in special_tokens");
    }

    @Test
    void specialTokenIdsNotIntegers() throws IOException {
        assertRefused(d -> ((ArrayNode) special(d).get("ids")).set(0, JSON.getNodeFactory().textNode("")),
                "post_processor.special_tokens[\"<s>\"].ids[0]");
    }

    @Test
    void specialTokenTokensMissing() throws IOException {
        assertRefused(d -> special(d).remove("tokens"), "post_processor.special_tokens[\"<s>\"]: missing array field \"tokens\"");
    }

    @Test
    void decoderStripStartNotAnInteger() throws IOException {
        assertRefused(d -> ((ObjectNode) d.get("decoder").get("decoders").get(3)).put("start", 0.5), "decoder Strip");
    }

    private static ObjectNode model(ObjectNode d) {
        return (ObjectNode) d.get("model");
    }

    private static ObjectNode vocab(ObjectNode d) {
        return (ObjectNode) model(d).get("vocab");
    }

    private static ObjectNode added(ObjectNode d, int i) {
        return (ObjectNode) d.get("added_tokens").get(i);
    }

    private static ObjectNode template(ObjectNode d) {
        return (ObjectNode) d.get("post_processor");
    }

    private static ObjectNode special(ObjectNode d) {
        return (ObjectNode) template(d).get("special_tokens").get("<s>");
    }

    private Path mutated(Consumer<ObjectNode> change) throws IOException {
        JsonNode doc = Shared.json(Shared.path("models/stories260K/tokenizer.json"));
        change.accept((ObjectNode) doc);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), doc);
        return file;
    }

    /** The mutated file fails with "FILE: PATH...problem..." on one line. */
    private void assertRefused(Consumer<ObjectNode> change, String problem) throws IOException {
        Path file = mutated(change);
        ShallowException e = assertThrows(ShallowException.class, () -> Tokenizer.load(file));
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": ") && message.contains(problem), message);
        assertEquals(1, message.lines().count(), message);
    }
}
