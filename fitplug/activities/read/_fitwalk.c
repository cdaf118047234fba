/* The hot loop of fitplug.activities.read.scan, natively (optional: scan.py
 * has the same walk in Python and uses it when this module is not built).
 *
 * walk(buf, start, end, wanted) walks the records of one FIT data section
 * buf[start:end] and returns (events, error):
 *   events: in file order, an int p for each data message of a wanted local
 *           type (its header byte at buf[p]), and for each definition of a
 *           wanted global message number the tuple
 *           (p, dev_size): its bytes are buf[p:p + 6 + 3 * buf[p + 5]], then the
 *           developer field definitions, whose data take dev_size bytes;
 *   error:  None, or (reason, offset): where and why the walk stopped, with
 *           the same reasons and offsets as the Python walk.
 * Every other data message is stepped over by the size its definition gave.
 * Every read is bounded by end, and end by the buffer's length.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
stop(PyObject *events, const char *reason, Py_ssize_t offset)
{
    PyObject *r = Py_BuildValue("(N(sn))", events, reason, offset);
    return r;
}

/* Append a new reference to events and drop it; -1 (an exception set) when item is NULL or the append fails. */
static int
append(PyObject *events, PyObject *item)
{
    if (item == NULL)
        return -1;
    int rc = PyList_Append(events, item);
    Py_DECREF(item);
    return rc;
}

static PyObject *
walk(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start, end;
    PyObject *wanted;
    if (!PyArg_ParseTuple(args, "y*nnO", &view, &start, &end, &wanted))
        return NULL;
    PyObject *result = NULL;
    PyObject *events = PyList_New(0);
    if (events == NULL)
        goto done;
    if (start < 0 || end < start || end > view.len) {
        PyErr_SetString(PyExc_ValueError, "start/end outside the buffer");
        Py_DECREF(events);
        goto done;
    }
    const unsigned char *buf = (const unsigned char *)view.buf;
    Py_ssize_t sizes[16] = {0};
    char want[16] = {0};
    Py_ssize_t p = start;
    char errbuf[80];
    while (p < end) {
        unsigned int h = buf[p];
        if ((h & 0x40) && !(h & 0x80)) { /* definition */
            unsigned int local = h & 0x0F;
            if (p + 6 > end) {
                result = stop(events, "truncated definition message", p);
                goto done;
            }
            unsigned int arch = buf[p + 2];
            if (arch > 1) {
                PyOS_snprintf(errbuf, sizeof errbuf, "unknown architecture %u", arch);
                result = stop(events, errbuf, p);
                goto done;
            }
            int big = arch == 1;
            unsigned int mesg_num = big ? (buf[p + 3] << 8 | buf[p + 4]) : (buf[p + 4] << 8 | buf[p + 3]);
            unsigned int nfields = buf[p + 5];
            Py_ssize_t q = p + 6 + 3 * (Py_ssize_t)nfields;
            if (q > end) {
                result = stop(events, "truncated definition message", p);
                goto done;
            }
            Py_ssize_t size = 1;
            for (Py_ssize_t i = p + 6; i < q; i += 3) {
                if (!buf[i + 1]) {
                    result = stop(events, "field of size 0 in a definition", p);
                    goto done;
                }
                size += buf[i + 1];
            }
            Py_ssize_t dev_size = 0, r = q;
            if (h & 0x20) {
                if (q + 1 > end) {
                    result = stop(events, "truncated definition message", p);
                    goto done;
                }
                r = q + 1 + 3 * (Py_ssize_t)buf[q];
                if (r > end) {
                    result = stop(events, "truncated definition message", p);
                    goto done;
                }
                for (Py_ssize_t i = q + 1; i < r; i += 3)
                    dev_size += buf[i + 1];
            }
            size += dev_size;
            PyObject *num = PyLong_FromUnsignedLong(mesg_num);
            if (num == NULL)
                goto fail;
            int is_wanted = PySequence_Contains(wanted, num);
            Py_DECREF(num);
            if (is_wanted < 0)
                goto fail;
            sizes[local] = size;
            want[local] = (char)is_wanted;
            if (is_wanted && append(events, Py_BuildValue("(nn)", p, dev_size)) < 0)
                goto fail;
            p = r;
            continue;
        }
        unsigned int local = (h & 0x80) ? (h >> 5) & 0x03 : h & 0x0F;
        Py_ssize_t size = sizes[local];
        if (!size) {
            PyOS_snprintf(errbuf, sizeof errbuf, "data message for undefined local type %u", local);
            result = stop(events, errbuf, p);
            goto done;
        }
        if (!want[local]) {
            p += size;
            continue;
        }
        if (p + size > end) {
            result = stop(events, "truncated data message", p);
            goto done;
        }
        if (append(events, PyLong_FromSsize_t(p)) < 0)
            goto fail;
        p += size;
    }
    if (p != end) /* a stepped-over message ran past the end, as the Python walk says it */
        result = stop(events, "last message runs past the end of the data", end);
    else
        result = Py_BuildValue("(NO)", events, Py_None);
    goto done;
fail:
    Py_DECREF(events);
    result = NULL;
done:
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, "walk(buf, start, end, wanted) -> (events, error): one FIT data section's records."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fitwalk", "The FIT record walk of fitplug's fast reader, natively.", -1, methods,
};

PyMODINIT_FUNC
PyInit__fitwalk(void)
{
    return PyModule_Create(&module);
}
