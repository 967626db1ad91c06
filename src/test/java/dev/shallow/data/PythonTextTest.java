package dev.shallow.data;

import org.junit.jupiter.api.Test;

import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PythonTextTest {
    @Test
    void pythonWhitespaceIsStrIsspace() {
        Pattern space = Pattern.compile(PythonText.SPACE_CLASS);
        String python = "\t\n\u000B\f\r\u001C\u001D\u001E\u001F \u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                + "\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000"; // [c for c in map(chr, range(0x110000)) if c.isspace()]
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            boolean expected = python.indexOf(c) >= 0;
            assertEquals(expected, PythonText.isSpace(c), "U+" + Integer.toHexString(c));
            assertEquals(expected, space.matcher(String.valueOf(c)).matches(), "U+" + Integer.toHexString(c));
        }
        // len(re.split(r"\s+", s)) and s.strip(), as Python gives them
        assertEquals(1, PythonText.whitespaceSplitCount(""));
        assertEquals(2, PythonText.whitespaceSplitCount(" "));
        assertEquals(3, PythonText.whitespaceSplitCount(" a "));
        assertEquals(4, PythonText.whitespaceSplitCount("a  b\tc\n"));
        assertEquals(4, PythonText.whitespaceSplitCount("\u00A0x\u0085y\u001Cz"));
        assertEquals("x\u0085y\u001Cz", PythonText.strip("\u00A0x\u0085y\u001Cz"));
        assertEquals("a  b\tc", PythonText.strip("a  b\tc\n"));
    }
}
