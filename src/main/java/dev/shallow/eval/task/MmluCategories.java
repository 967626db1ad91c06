package dev.shallow.eval.task;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The 57 MMLU subjects and the category lm-evaluation-harness files each under ({@code SUBJECTS} in
 * {@code lm_eval/tasks/mmlu/_generate_configs.py}, the {@code tag} of each {@code mmlu_<subject>.yaml}). The
 * harness reports the groups {@code mmlu_stem}, {@code mmlu_other}, {@code mmlu_social_sciences},
 * {@code mmlu_humanities} and {@code mmlu} ({@code _mmlu*.yaml}) with {@code weight_by_size: True}: a group's acc
 * is the mean over all its questions, not over its subjects.
 */
public final class MmluCategories {
    /** The whole benchmark's group. */
    public static final String MMLU = "mmlu";
    /** The categories, in the order {@code _mmlu.yaml} lists their groups. */
    public static final List<String> CATEGORIES = List.of("stem", "other", "social_sciences", "humanities");

    private static final Map<String, String> BY_SUBJECT = table(
            "abstract_algebra stem", "anatomy stem", "astronomy stem", "business_ethics other",
            "clinical_knowledge other", "college_biology stem", "college_chemistry stem",
            "college_computer_science stem", "college_mathematics stem", "college_medicine other",
            "college_physics stem", "computer_security stem", "conceptual_physics stem",
            "econometrics social_sciences", "electrical_engineering stem", "elementary_mathematics stem",
            "formal_logic humanities", "global_facts other", "high_school_biology stem",
            "high_school_chemistry stem", "high_school_computer_science stem",
            "high_school_european_history humanities", "high_school_geography social_sciences",
            "high_school_government_and_politics social_sciences", "high_school_macroeconomics social_sciences",
            "high_school_mathematics stem", "high_school_microeconomics social_sciences",
            "high_school_physics stem", "high_school_psychology social_sciences", "high_school_statistics stem",
            "high_school_us_history humanities", "high_school_world_history humanities", "human_aging other",
            "human_sexuality social_sciences", "international_law humanities", "jurisprudence humanities",
            "logical_fallacies humanities", "machine_learning stem", "management other", "marketing other",
            "medical_genetics other", "miscellaneous other", "moral_disputes humanities",
            "moral_scenarios humanities", "nutrition other", "philosophy humanities", "prehistory humanities",
            "professional_accounting other", "professional_law humanities", "professional_medicine other",
            "professional_psychology social_sciences", "public_relations social_sciences",
            "security_studies social_sciences", "sociology social_sciences", "us_foreign_policy social_sciences",
            "virology other", "world_religions humanities");

    private MmluCategories() {
    }

    /** Subject (e.g. "astronomy") to category ("stem"), all 57 in alphabetical order. */
    public static Map<String, String> bySubject() {
        return BY_SUBJECT;
    }

    /** The group a task is averaged into: "mmlu_astronomy" gives "mmlu_stem"; a task that is not an MMLU subject gives none. */
    public static Optional<String> group(String taskName) {
        if (!taskName.startsWith(MMLU + "_")) return Optional.empty();
        return Optional.ofNullable(BY_SUBJECT.get(taskName.substring(MMLU.length() + 1))).map(MmluCategories::groupName);
    }

    /** "stem" gives "mmlu_stem". */
    public static String groupName(String category) {
        return MMLU + "_" + category;
    }

    private static Map<String, String> table(String... rows) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String row : rows) map.put(row.substring(0, row.indexOf(' ')), row.substring(row.indexOf(' ') + 1));
        return Collections.unmodifiableMap(map);
    }
}
