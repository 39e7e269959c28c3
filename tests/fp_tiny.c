/* fp_tiny.c — a tiny shared library for test_fingerprint.c, built twice:
 * with a GNU build-id (fp_tiny) and without one (fp_tiny_noid), opened at
 * run time so that the object holding fp_tiny is found by its address. */
int fp_tiny(int x);

int fp_tiny(int x)
{
    return x + 42;
}
