# longwords.awk — the external stage of examples/exec.yaml: reads records
# (lines) on standard input and prints each word of more than 8 letters,
# lower-cased, a line each. awk reads ahead and writes when it likes; the
# exec stage reads both pipes at once, so neither side waits for the other.
{
    for (i = 1; i <= NF; i++) {
        w = tolower($i)
        gsub(/[^a-z]/, "", w)
        if (length(w) > 8)
            print w
    }
}
