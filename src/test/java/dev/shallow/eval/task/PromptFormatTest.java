package dev.shallow.eval.task;

import dev.shallow.eval.Task;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.shallow.eval.task.TaskData.contexts;
import static dev.shallow.eval.task.TaskData.continuations;
import static dev.shallow.eval.task.TaskData.fixture;
import static dev.shallow.eval.task.TaskData.gold;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exact prompts of the first fixture rows, written by hand from the harness's task configs. */
class PromptFormatTest {
    static void assertSameContext(String expected, Task task, int doc) {
        for (String context : contexts(task, doc)) assertEquals(expected, context);
    }

    @Test
    void mmluFiveShotPromptInFull() {
        Task t = fixture("mmlu_astronomy");
        assertEquals("mmlu_astronomy", t.name());
        assertEquals(5, t.shots());
        assertEquals(6, t.size());
        String expected = "The following are multiple choice questions (with answers) about astronomy.\n\n"
                + "You are pushing a truck along a road. Would it be easier to accelerate this truck on Mars? Why? (Assume there is no friction)\n"
                + "A. It would be harder since the truck is heavier on Mars.\n"
                + "B. It would be easier since the truck is lighter on Mars.\n"
                + "C. It would be harder since the truck is lighter on Mars.\n"
                + "D. It would be the same no matter where you are.\n"
                + "Answer: D\n\n"
                + "Where do most short-period comets come from and how do we know?\n"
                + "A. The Kuiper belt; short period comets tend to be in the plane of the solar system just like the Kuiper belt.\n"
                + "B. The Kuiper belt; short period comets tend to come from random directions indicating a spherical distribution of comets called the Kuiper belt.\n"
                + "C. The asteroid belt; short period comets have orbital periods similar to asteroids like Vesta and are found in the plane of the solar system just like the asteroid belt.\n"
                + "D. The Oort cloud; short period comets tend to be in the plane of the solar system just like the Oort cloud.\n"
                + "Answer: A\n\n"
                + "Say the pupil of your eye has a diameter of 5 mm and you have a telescope with an aperture of 50 cm. How much more light can the telescope gather than your eye?\n"
                + "A. 10000 times more\n"
                + "B. 100 times more\n"
                + "C. 1000 times more\n"
                + "D. 10 times more\n"
                + "Answer: A\n\n"
                + "Why isn't there a planet where the asteroid belt is located?\n"
                + "A. A planet once formed here but it was broken apart by a catastrophic collision.\n"
                + "B. There was not enough material in this part of the solar nebula to form a planet.\n"
                + "C. There was too much rocky material to form a terrestrial planet but not enough gaseous material to form a jovian planet.\n"
                + "D. Resonance with Jupiter prevented material from collecting together to form a planet.\n"
                + "Answer: D\n\n"
                + "Why is Mars red?\n"
                + "A. Because the surface is covered with heavily oxidized (\"rusted\") minerals.\n"
                + "B. Because the atmosphere scatters more light at bluer wavelengths transmitting mostly red light.\n"
                + "C. Because Mars is covered with ancient lava flows which are red in color.\n"
                + "D. Because flowing water on Mars's surface altered the surface minerals several billion years ago.\n"
                + "Answer: A\n\n"
                + "What is true for a type-Ia (\"type one-a\") supernova?\n"
                + "A. This type occurs in binary systems.\n"
                + "B. This type occurs in young galaxies.\n"
                + "C. This type produces gamma-ray bursts.\n"
                + "D. This type produces high amounts of X-rays.\n"
                + "Answer:";
        assertSameContext(expected, t, 0);
        assertEquals(List.of(" A", " B", " C", " D"), continuations(t, 0));
        assertEquals(0, gold(t, 0));
        assertEquals(3, gold(t, 1));
    }

    @Test
    void mmluZeroShotIsDescriptionThenQuestion() {
        Task t = MultipleChoiceTasks.build("mmlu_astronomy", TaskData.options(TaskData.fixtures(), 0)).getFirst();
        assertEquals(0, t.shots());
        assertSameContext("The following are multiple choice questions (with answers) about astronomy.\n\n"
                + "If you know both the actual brightness of an object and its apparent brightness from your location then with no other information you can estimate:\n"
                + "A. Its speed relative to you\n"
                + "B. Its composition\n"
                + "C. Its size\n"
                + "D. Its distance from you\n"
                + "Answer:", t, 1);
    }

    @Test
    void arcEasyAndChallenge() {
        Task easy = fixture("arc_easy");
        assertSameContext("Question: Which statement best explains why photosynthesis is the foundation of most food webs?\nAnswer:", easy, 0);
        assertEquals(List.of(" Sunlight is the source of energy for nearly all ecosystems.", " Most ecosystems are found on land instead of in water.",
                " Carbon dioxide is more available than other gases.", " The producers in all ecosystems are plants."), continuations(easy, 0));
        assertEquals(0, gold(easy, 0));
        assertSameContext("Question: Which piece of safety equipment is used to keep mold spores from entering the respiratory system?\nAnswer:", easy, 1);
        assertEquals(List.of(" safety goggles", " breathing mask", " rubber gloves", " lead apron"), continuations(easy, 1));
        assertEquals(1, gold(easy, 1));

        Task challenge = fixture("arc_challenge");
        assertSameContext("Question: An astronomer observes that a planet rotates faster after a meteorite impact. "
                + "Which is the most likely effect of this increase in rotation?\nAnswer:", challenge, 0);
        assertEquals(List.of(" Planetary density will decrease.", " Planetary years will become longer.", " Planetary days will become shorter.",
                " Planetary gravity will become stronger."), continuations(challenge, 0));
        assertEquals(2, gold(challenge, 0));
        assertEquals(List.of("acc", "acc_norm"), challenge.metrics().stream().map(m -> m.name()).toList());
    }

    @Test
    void boolqPassageQuestionAndYesNoMapping() {
        Task t = fixture("boolq");
        assertSameContext("Phantom pain sensations are described as perceptions that an individual experiences relating to a limb or an organ "
                + "that is not physically part of the body. Limb loss is a result of either removal by amputation or congenital limb deficiency. "
                + "However, phantom limb sensations can also occur following nerve avulsion or spinal cord injury.\n"
                + "Question: is pain experienced in a missing body part or paralyzed area?\nAnswer:", t, 2);
        assertEquals(List.of(" no", " yes"), continuations(t, 2));
        assertEquals(1, gold(t, 2), "BoolQ validation: phantom pain in a missing body part: True, so \" yes\"");
        String first = contexts(t, 0).getFirst();
        assertTrue(first.startsWith("All biomass goes through at least some of these steps"), first);
        assertTrue(first.endsWith("from corn uses much less petroleum than producing gasoline.\nQuestion: does ethanol take more energy make that produces?\nAnswer:"), first);
        assertEquals(0, gold(t, 0), "BoolQ validation: ethanol takes more energy than it produces: False, so \" no\"");
        assertEquals(List.of("acc"), t.metrics().stream().map(m -> m.name()).toList());
    }

    @Test
    void piqaKeepsTrailingSpacesOfTheOriginalRelease() {
        Task t = fixture("piqa");
        assertSameContext("Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:", t, 0);
        assertEquals(List.of(" Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.",
                " Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it with a water bottle and a food dish."),
                continuations(t, 0));
        assertEquals(0, gold(t, 0));
        assertSameContext("Question: dresser\nAnswer:", t, 1);
        assertEquals(List.of(" replace drawer with bobby pin ", " finish, woodgrain with  bobby pin "), continuations(t, 1));
        assertEquals(1, gold(t, 1));
    }

    @Test
    void winograndePartialScoringPutsTheOptionsInTheContexts() {
        Task t = fixture("winogrande");
        assertEquals(List.of("Sarah was a much better surgeon than Maria so Sarah", "Sarah was a much better surgeon than Maria so Maria"), contexts(t, 0));
        assertEquals(List.of(" always got the easier cases.", " always got the easier cases."), continuations(t, 0));
        assertEquals(1, gold(t, 0));
        assertEquals(List.of("They were worried the wine would ruin the bed and the blanket, but the blanket",
                "They were worried the wine would ruin the bed and the blanket, but the bed"), contexts(t, 2));
        assertEquals(List.of(" was't ruined.", " was't ruined."), continuations(t, 2));
        assertEquals(1, gold(t, 2));
        assertEquals(List.of("acc"), t.metrics().stream().map(m -> m.name()).toList());
    }

    @Test
    void hellaswagPreprocessedWithCapitalisedFragment() {
        Task t = fixture("hellaswag");
        assertSameContext("Roof shingle removal: A man is sitting on a roof. He", t, 0);
        assertEquals(List.of(" is using wrap to wrap a pair of skis.", " is ripping level tiles off.", " is holding a rubik's cube.",
                " starts pulling up roofing on a roof."), continuations(t, 0));
        assertEquals(3, gold(t, 0));
        assertSameContext("Clean and jerk: A lady walks to a barbell. She bends down and grabs the pole. The lady", t, 1);
        assertEquals(3, gold(t, 1));
        assertEquals(List.of("acc", "acc_norm"), t.metrics().stream().map(m -> m.name()).toList());
    }

    @Test
    void hellaswagPreprocessIsTheHarnesses() {
        // expected values: lm_eval/tasks/hellaswag/utils.py preprocess run on the same strings
        assertEquals(" How to cope. Put off any plans.  Promise yourself.", Hellaswag.preprocess(" [header] How to cope [title] Put off any plans. [step]  Promise yourself. "));
        assertEquals(" Cut the cake.", Hellaswag.preprocess("[substeps] Cut the cake."), "strip comes before deleting tags");
        assertEquals("a  b", Hellaswag.preprocess("a    b"), "one pass of replace(\"  \", \" \")");
        assertEquals("Sumo: A video is shown. Two men", Hellaswag.preprocess("Sumo: " + Hellaswag.capitalizeLastFragment("A video is shown. two men")));
        assertEquals("He ran. She fell.", Hellaswag.capitalizeLastFragment("He ran. She fell."));
        assertEquals("1 a guy plays. 2 a guy", Hellaswag.capitalizeLastFragment("1 a guy plays. 2 a guy"));
        assertEquals("no sentence end here", Hellaswag.capitalizeLastFragment("no sentence end here"));
    }

    @Test
    void openbookqaIsTheBareStem() {
        Task t = fixture("openbookqa");
        assertSameContext("A person wants to start saving money so that they can afford a nice vacation at the end of the year. "
                + "After looking over their budget and expenses, they decide the best way to save money is to", t, 0);
        assertEquals(List.of(" make more phone calls", " quit eating lunch out", " buy less with monopoly money", " have lunch with friends"), continuations(t, 0));
        assertEquals(1, gold(t, 0));
        assertSameContext("There is most likely going to be fog around:", t, 1);
        assertEquals(0, gold(t, 1));
        assertEquals(List.of("acc", "acc_norm"), t.metrics().stream().map(m -> m.name()).toList());
    }

    @Test
    void copaConnectorWithoutCommaAndTwoSpacesBeforeTheChoice() {
        Task t = fixture("copa");
        assertSameContext("The man turned on the faucet therefore", t, 0);
        assertEquals(List.of("  the toilet filled with water.", "  water flowed from the spout."), continuations(t, 0));
        assertEquals(1, gold(t, 0));
        assertSameContext("The hamburger meat browned because", t, 4);
        assertEquals(List.of("  the cook froze it.", "  the cook grilled it."), continuations(t, 4));
        assertEquals(1, gold(t, 4));
        assertEquals(List.of("  i swept the floor in the unoccupied room.", "  i shut off the light in the unoccupied room."), continuations(t, 3));
        assertEquals("effect", t.describe(0).get("question"));
        assertEquals(List.of("acc"), t.metrics().stream().map(m -> m.name()).toList());
    }

    @Test
    void describeGivesTheRecoveredFields() {
        assertEquals("Which piece of safety equipment is used to keep mold spores from entering the respiratory system?", fixture("arc_easy").describe(1).get("question"));
        assertEquals("is pain experienced in a missing body part or paralyzed area", fixture("boolq").describe(2).get("question"));
        assertEquals("dresser", fixture("piqa").describe(1).get("goal"));
        assertEquals(1, fixture("piqa").describe(1).get("label"));
        assertEquals("Roof shingle removal", fixture("hellaswag").describe(0).get("activity_label"));
        assertEquals("astronomy", fixture("mmlu_astronomy").describe(0).get("subject"));
        assertEquals(0, fixture("mmlu_astronomy").describe(0).get("answer"));
    }
}
