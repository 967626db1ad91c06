package dev.shallow.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A Hugging Face tokenizer.json equivalent to llama2.c's tokenizer, as in Llama 2's tokenizer.json:
 * BPE with byte_fallback over the sentencepiece pieces; normalizer Prepend("▁") + Replace(" " → "▁"),
 * post_processor "&lt;s&gt; $A", decoder Replace("▁" → " "), ByteFallback, Fuse, Strip(1 leading space).
 * The fixed parts come from the resource {@code sentencepiece-bpe-tokenizer.json}.
 */
final class TokenizerJson {
    private static final String TEMPLATE = "sentencepiece-bpe-tokenizer.json";

    private TokenizerJson() {
    }

    static ObjectNode of(Llama2cVocabulary vocabulary) {
        ObjectNode root = template();
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = model.putObject("vocab");
        List<String> pieces = vocabulary.pieces();
        for (int id = 0; id < pieces.size(); id++) vocab.put(pieces.get(id), id);
        ArrayNode merges = model.putArray("merges");
        merges(vocabulary).forEach(merges::add);
        return root;
    }

    /**
     * llama2.c encodes by repeatedly merging the adjacent pair whose concatenation has the highest
     * score (leftmost on ties); as BPE ranks: for each piece by descending score (stable), every
     * split "left right" into two vocab pieces, splits in order of position. Specials and byte tokens never merge.
     */
    static List<String> merges(Llama2cVocabulary vocabulary) {
        List<String> pieces = vocabulary.pieces();
        float[] scores = vocabulary.scores();
        Set<String> known = Set.copyOf(pieces);
        List<Integer> byScore = new ArrayList<>();
        for (int id = Llama2cVocabulary.FIRST_NORMAL_TOKEN; id < pieces.size(); id++) byScore.add(id);
        byScore.sort((a, b) -> scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : 0);
        List<String> merges = new ArrayList<>();
        for (int id : byScore) {
            String piece = pieces.get(id);
            for (int cut = piece.offsetByCodePoints(0, 1); cut < piece.length(); cut = piece.offsetByCodePoints(cut, 1)) {
                String left = piece.substring(0, cut), right = piece.substring(cut);
                if (known.contains(left) && known.contains(right)) merges.add(left + " " + right);
            }
        }
        return merges;
    }

    private static ObjectNode template() {
        try (InputStream in = TokenizerJson.class.getResourceAsStream(TEMPLATE)) {
            return (ObjectNode) new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + TEMPLATE, e);
        }
    }
}
