package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.cli.CliTest.Run;
import dev.shallow.convert.GgufExporter;
import dev.shallow.io.GgmlType;
import dev.shallow.model.AbsentSubBlocks;
import dev.shallow.prune.Pruner;
import dev.shallow.transformer.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code prune --remove-attention / --remove-mlp}: what each output says it gives, a layer named in both removed whole, and the
 * refusals (one line, exit 1, nothing written): issue #22 trap 2 (block 0 without attention, an empty last block) and a family
 * llama.cpp's deci graph does not compute.
 */
class PruneSubBlocksCliTest {
    private static final String S16 = Shared.model("stories-16L").toString();

    @TempDir
    Path tmp;

    @Test
    void huggingFaceOutputSaysItIsNoFasterAndRecordsTheSubBlocks() throws IOException {
        Path out = tmp.resolve("hf");
        Run r = run("prune", S16, "--remove-attention", "3", "--remove-mlp", "5,7", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("attention of 3, MLP of 5,7 zeroed") && r.out().contains("no faster"), r.out());
        JsonNode rec = new ObjectMapper().readTree(out.resolve(Pruner.RECORD).toFile());
        assertEquals("[]", rec.path("removed").toString());
        assertEquals("[3]", rec.path(AbsentSubBlocks.ATTENTION_KEY).toString());
    }

    @Test
    void aLayerNamedInBothIsRemovedWhole() throws IOException {
        Path out = tmp.resolve("whole");
        Run r = run("prune", S16, "--remove-attention", "3,4", "--remove-mlp", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode rec = new ObjectMapper().readTree(out.resolve(Pruner.RECORD).toFile());
        assertEquals("[4]", rec.path("removed").toString());
        assertEquals("[3]", rec.path(AbsentSubBlocks.ATTENTION_KEY).toString());
        assertFalse(rec.has(AbsentSubBlocks.MLP_KEY));
        assertEquals(15, rec.path("num_layers_after").asInt());
    }

    @Test
    void ggufOutputIsDeci() {
        Path out = tmp.resolve("d.gguf");
        Run r = run("prune", S16, "--remove-mlp", "2", "--format", "gguf", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("deci"), r.out());
    }

    /** #22 trap 2: llama.cpp's deci takes the head size from block 0; the first kept layer, whichever it is, keeps its attention. */
    @Test
    void firstBlockWithoutAttentionIsRefused() throws IOException {
        Path out = tmp.resolve("first.gguf");
        assertOneLineError(run("prune", S16, "--remove-attention", "0", "--format", "gguf", "--out", out.toString()),
                "layer 0, the first kept one, without attention", "--remove 0");
        assertNothingWritten();
        assertOneLineError(run("prune", S16, "--remove", "0", "--remove-attention", "1", "--format", "gguf", "--out", out.toString()),
                "layer 1, the first kept one", "--remove 1");
        assertNothingWritten();
    }

    /**
     * #22 trap 2: an empty last block crashes llama.cpp. The CLI removes a layer named in both flags whole, so only a caller of the
     * API (a mixed plan) can ask for one: refused in one line, nothing written.
     */
    @Test
    void emptyLastBlockIsRefused() throws IOException {
        AbsentSubBlocks absent = AbsentSubBlocks.none(16);
        absent.attention()[15] = absent.mlp()[15] = true;
        Path out = tmp.resolve("last.gguf");
        ShallowException e = assertThrows(ShallowException.class, () -> GgufExporter.write(Shared.model("stories-16L"), out,
                new GgufExporter.Options(GgmlType.F32, false), Transformer.allLayers(16), absent, null));
        assertTrue(e.getMessage().contains("layer 15, the last kept one, without attention and MLP") && e.getMessage().contains("--remove 15"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertNothingWritten();
    }

    /** deci is Llama's graph: other families are refused with sub-blocks in GGUF, naming the family; their Hugging Face output works. */
    @Test
    void otherFamiliesAreRefusedAsDeci() throws IOException {
        for (String family : new String[]{"qwen3", "phi", "gemma2"}) {
            String model = "tiny-" + family + "-random";
            Path out = tmp.resolve(model + ".gguf");
            assertOneLineError(run("prune", Shared.model(model).toString(), "--remove-attention", "2", "--format", "gguf", "--out", out.toString()),
                    "deci", "a " + family + " layer", "--format hf");
            assertNothingWritten();
        }
    }

    /**
     * A deci file has no Hugging Face form (convert refuses it), and a qwen2 GGUF's rotate-half q/k rows cannot be copied into deci
     * (prune refuses it, pointing to the Hugging Face directory): one line each, nothing written.
     */
    @Test
    void whatCannotBeExpressedIsRefused() {
        Path deci = tmp.resolve("d.gguf"), q2 = tmp.resolve("q2.gguf"), back = tmp.resolve("back"), q2deci = tmp.resolve("q2-deci.gguf");
        assertEquals(0, run("prune", S16, "--remove-mlp", "2", "--format", "gguf", "--out", deci.toString()).code());
        assertOneLineError(run("convert", deci.toString(), "--out", back.toString()), deci.toString(), "no Hugging Face form", "--format hf");
        assertEquals(0, run("convert", Shared.model("tiny-qwen2-random").toString(), "--out", q2.toString()).code());
        assertOneLineError(run("prune", q2.toString(), "--remove-attention", "3", "--out", q2deci.toString()), "qwen2 GGUF", "rotate-half");
        assertFalse(Files.exists(back) || Files.exists(q2deci), "nothing written");
    }

    @Test
    void subBlocksDoNotGoWithAPlanOrMergekit() throws IOException {
        Path out = tmp.resolve("x");
        assertOneLineError(run("prune", S16, "--strategy", "deepest", "--n", "1", "--remove-mlp", "2", "--out", out.toString()), "--remove-mlp");
        assertOneLineError(run("prune", S16, "--remove-mlp", "2", "--mergekit", tmp.resolve("m.yaml").toString(), "--out", out.toString()), "mergekit");
        assertNothingWritten();
    }

    private void assertNothingWritten() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(java.util.List.of(), s.filter(p -> !p.getFileName().toString().equals("hf")).toList(), "nothing written");
        }
    }
}
