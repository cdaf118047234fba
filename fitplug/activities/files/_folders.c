/* One folder of the walk of fitplug.activities.files.folders, natively (optional: folders.py
 * lists a folder the same way in Python, and does so where this module is not built).
 *
 * list_folder(folder, seen, known, make_stat) lists one folder as folders.list_folder does and
 * returns what it returns, (files, subfolders, left_out, unreadable, left_out_bytes):
 *   files:      (path, make_stat(mode, size, mtime_ns)) or (path, OSError) for each file whose
 *               name ends with .fit, .fit.gz or .zip (in any case) and which seen did not hold,
 *               sorted; a link is stat'ed through, a link to a folder left out;
 *   subfolders: the paths of the folders in it (links to folders are not), sorted;
 *   left_out:   how many regular FIT files (not zips) known held at their size and mtime, which
 *               are not in files; unreadable: how many of those known marked so (its third item);
 *               left_out_bytes: their sizes added up.
 * seen (a set, or None) gets the path of every file it did not hold, before the file is stat'ed.
 * An unchanged file costs one stat and its path, a str (which seen keeps), and no other object
 * (but its decoded name, where the folder's path or its name is not ASCII).
 * A folder that cannot be listed raises its OSError, as os.scandir does.
 *
 * It reads the folder with opendir/readdir and each name with fstatat relative to the open
 * folder, with the GIL released, and makes the calls os.scandir's entries make (DirEntry.is_dir,
 * is_symlink, stat): the type readdir gives (d_type) where it says, lstat where it says nothing,
 * stat through a link. Names are decoded as os.scandir(str) decodes them, paths joined as
 * os.path.join joins them and sorted as Python sorts str. The name test is made on the bytes,
 * which says what the decoded name's lower() says only for UTF-8 with surrogateescape, the file
 * system encoding folders.py requires of this module.
 *
 * POSIX only: on Windows (_WIN32) the module is built without list_folder, and folders.py walks
 * the folders in Python there.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef _WIN32

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#if defined(__APPLE__)
#define MTIME_NSEC(st) ((st).st_mtimespec.tv_nsec)
#else
#define MTIME_NSEC(st) ((st).st_mtim.tv_nsec)
#endif

enum { LSTAT, STAT, AS_ENTRY };     /* how a file is stat'ed: not through a link, through, as DirEntry.stat() */
enum { TO_STAT, STATED, FAILED, DROPPED };

typedef struct {
    size_t name;        /* the offset of its name (NUL-terminated) in the listing's names */
    size_t len;
    char is_folder;
    char ascii;         /* its name is ASCII */
    char zip;           /* its name ends with .zip */
    char how;           /* LSTAT, STAT or AS_ENTRY */
    char state;         /* TO_STAT, STATED (mode, size, sec, nsec), FAILED (err) or DROPPED (seen held it) */
    int err;
    unsigned long mode;
    long long size, sec;
    long nsec;
    PyObject *key;      /* its path, once made */
} Entry;

/* For the tests (tests/test_folder_walk.py, through _test_hooks): take no type from readdir, as
 * where d_type is DT_UNKNOWN; call between(folder) once a folder is listed, before any file in it
 * is looked up in seen or stat'ed (folders.py's _between, in C). */
static int use_d_type = 1;
static PyObject *between = NULL;

typedef struct {
    DIR *dir;
    Entry *entries;
    size_t count, room;
    char *names;
    size_t used, size;
} Listing;

/* name ends with suffix (lower case ASCII), compared without the case of ASCII letters */
static int
ends_with(const char *name, size_t len, const char *suffix, size_t n)
{
    if (len < n)
        return 0;
    const char *tail = name + len - n;
    for (size_t i = 0; i < n; i++) {
        char c = tail[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return 0;
    }
    return 1;
}

/* 0: not wanted, 1: a FIT name (.fit, .fit.gz), 2: a zip (.zip). As the decoded name's lower()
 * would say: no character but an ASCII one lowers to one of these suffixes' characters (U+0130
 * lowers to "i" and a combining dot, U+212A to "k"), and in UTF-8 with surrogateescape only an
 * ASCII byte decodes to an ASCII character, so the last bytes of the name tell. */
static int
name_kind(const char *name, size_t len)
{
    if (ends_with(name, len, ".zip", 4))
        return 2;
    return ends_with(name, len, ".fit", 4) || ends_with(name, len, ".fit.gz", 7);
}

static void
keep_stat(Entry *e, const struct stat *st)
{
    e->state = STATED;
    e->mode = (unsigned long)st->st_mode;
    e->size = (long long)st->st_size;
    e->sec = (long long)st->st_mtime;
    e->nsec = (long)MTIME_NSEC(*st);
}

/* Stat a file as its DirEntry's stat() would have (no GIL is needed). */
static void
stat_entry(int fd, const char *name, Entry *e)
{
    struct stat st;
    int rc = fstatat(fd, name, &st, e->how == STAT ? 0 : AT_SYMLINK_NOFOLLOW);
    if (rc == 0 && e->how == AS_ENTRY && S_ISLNK(st.st_mode))
        rc = fstatat(fd, name, &st, 0);
    if (rc == 0)
        keep_stat(e, &st);
    else {
        e->state = FAILED;
        e->err = errno;
    }
}

/* Add an entry to the listing; -1 when there is no memory for it (no GIL is needed). */
static int
add(Listing *l, const Entry *e, const char *name, size_t len)
{
    if (l->count == l->room) {
        size_t room = l->room ? 2 * l->room : 64;
        Entry *more = PyMem_RawRealloc(l->entries, room * sizeof(Entry));
        if (more == NULL)
            return -1;
        l->entries = more;
        l->room = room;
    }
    if (l->used + len + 1 > l->size) {
        size_t size = l->size ? 2 * l->size : 4096;
        while (size < l->used + len + 1)
            size *= 2;
        char *more = PyMem_RawRealloc(l->names, size);
        if (more == NULL)
            return -1;
        l->names = more;
        l->size = size;
    }
    memcpy(l->names + l->used, name, len + 1);
    Entry *to = &l->entries[l->count++];
    *to = *e;
    to->name = l->used;
    to->len = len;
    l->used += len + 1;
    return 0;
}

/* The folders and wanted files of an open folder, as os.scandir's loop in folders.py finds them:
 * a folder by its d_type (by lstat where d_type says nothing), a link stat'ed through to tell a
 * link to a folder (left out), with that stat kept for the file it is, as a DirEntry keeps it.
 * 0; -1 with errno set when readdir failed; -2 when there is no memory. No GIL is needed. */
static int
read_names(Listing *l)
{
    int fd = dirfd(l->dir);
    for (;;) {
        errno = 0;
        struct dirent *d = readdir(l->dir);
        if (d == NULL)
            return errno ? -1 : 0;
        const char *name = d->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        size_t len = strlen(name);
        int kind = name_kind(name, len);
        Entry e = {0};
        e.zip = kind == 2;
        e.state = TO_STAT;
#ifdef DT_UNKNOWN
        int type = use_d_type ? d->d_type : DT_UNKNOWN;
#else
        int type = 0;
#endif
        int link = 0;
#ifdef DT_UNKNOWN
        if (type == DT_DIR)
            e.is_folder = 1;
        else if (type == DT_LNK)
            link = 1;
        else if (type != DT_UNKNOWN) { /* a regular file, a FIFO, a device, a socket */
            if (!kind)
                continue;
            e.how = LSTAT;
        }
        else
#endif
        {
            struct stat st;
            if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (!kind)
                    continue;
                e.how = AS_ENTRY; /* not kept: the entry's stat() would try again */
            }
            else if (S_ISDIR(st.st_mode))
                e.is_folder = 1;
            else if (S_ISLNK(st.st_mode))
                link = 1;
            else {
                if (!kind)
                    continue;
                e.how = LSTAT;
                keep_stat(&e, &st);
            }
        }
        if (link) {
            if (!kind)
                continue; /* a link to a folder is not walked, and the name is not wanted */
            e.how = STAT;
            struct stat st;
            if (fstatat(fd, name, &st, 0) == 0) {
                if (S_ISDIR(st.st_mode))
                    continue;
                keep_stat(&e, &st);
            } /* else not kept: the entry's stat() would try again */
        }
        e.ascii = 1;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)name[i] >= 0x80) {
                e.ascii = 0;
                break;
            }
        if (add(l, &e, name, len) != 0)
            return -2;
    }
}

/* os.path.join(folder, name) for prefix (folder, with its separator); a new reference, or NULL. */
static PyObject *
join(PyObject *prefix, const char *name, size_t len, int ascii)
{
    if (ascii && PyUnicode_IS_ASCII(prefix)) { /* both as they are: one object, no decoding */
        Py_ssize_t n = PyUnicode_GET_LENGTH(prefix);
        PyObject *path = PyUnicode_New(n + (Py_ssize_t)len, 127);
        if (path == NULL)
            return NULL;
        memcpy(PyUnicode_1BYTE_DATA(path), PyUnicode_1BYTE_DATA(prefix), (size_t)n);
        memcpy(PyUnicode_1BYTE_DATA(path) + n, name, len);
        return path;
    }
    PyObject *decoded = PyUnicode_DecodeFSDefaultAndSize(name, (Py_ssize_t)len);
    if (decoded == NULL)
        return NULL;
    PyObject *path = PyUnicode_Concat(prefix, decoded);
    Py_DECREF(decoded);
    return path;
}

/* its mtime in nanoseconds fits a long long (seconds * 10**9 + nanoseconds, as os.stat adds them up) */
static int
ns_fit(const Entry *e)
{
    return e->sec >= -9223372035LL && e->sec <= 9223372035LL;
}

static PyObject *
mtime_ns(const Entry *e)
{
    if (ns_fit(e))
        return PyLong_FromLongLong(e->sec * 1000000000LL + e->nsec);
    PyObject *sec = PyLong_FromLongLong(e->sec), *billion = PyLong_FromLong(1000000000L);
    PyObject *nsec = PyLong_FromLong(e->nsec), *ns = NULL, *total = NULL;
    if (sec != NULL && billion != NULL && nsec != NULL && (ns = PyNumber_Multiply(sec, billion)) != NULL)
        total = PyNumber_Add(ns, nsec);
    Py_XDECREF(sec);
    Py_XDECREF(billion);
    Py_XDECREF(nsec);
    Py_XDECREF(ns);
    return total;
}

/* had[i] as Python gets it; a new reference, or NULL. */
static PyObject *
item(PyObject *had, Py_ssize_t i)
{
    if (PyTuple_CheckExact(had) && i < PyTuple_GET_SIZE(had))
        return Py_NewRef(PyTuple_GET_ITEM(had, i));
    PyObject *index = PyLong_FromSsize_t(i);
    if (index == NULL)
        return NULL;
    PyObject *value = PyObject_GetItem(had, index);
    Py_DECREF(index);
    return value;
}

/* had[i] != value, as Python says it (an exact int compared as a C one): 1, 0, or -1 with an exception. */
static int
differs(PyObject *had, Py_ssize_t i, long long value, const Entry *e)
{
    PyObject *known = item(had, i);
    if (known == NULL)
        return -1;
    int r;
    int fits = i == 0 || ns_fit(e);
    if (fits && PyLong_CheckExact(known)) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(known, &overflow);
        r = overflow || v != value;
        if (v == -1 && PyErr_Occurred())
            r = -1;
    }
    else {
        PyObject *ours = i == 0 ? PyLong_FromLongLong(e->size) : mtime_ns(e);
        r = ours == NULL ? -1 : PyObject_RichCompareBool(known, ours, Py_NE);
        Py_XDECREF(ours);
    }
    Py_DECREF(known);
    return r;
}

/* The file is in known at its size and mtime (as folders.list_folder asks: had is None or had[0] != size
 * or had[1] != mtime_ns says no); *unreadable = bool(had[2]) then. 1, 0, or -1 with an exception. */
static int
unchanged(PyObject *known, const Entry *e, int *unreadable)
{
    PyObject *had = PyDict_GetItemWithError(known, e->key);
    if (had == NULL)
        return PyErr_Occurred() ? -1 : 0;
    Py_INCREF(had); /* a comparison may run Python code, which may change known */
    long long mtime = ns_fit(e) ? e->sec * 1000000000LL + e->nsec : 0; /* used only where it fits (differs) */
    int r = differs(had, 0, e->size, e);
    if (r == 0)
        r = differs(had, 1, mtime, e);
    if (r == 0) {
        PyObject *bad = item(had, 2);
        *unreadable = bad == NULL ? -1 : PyObject_IsTrue(bad);
        Py_XDECREF(bad);
        r = *unreadable < 0 ? -1 : 1;
    }
    else if (r == 1)
        r = 0;
    Py_DECREF(had);
    return r;
}

/* (path, OSError) for a file that could not be stat'ed, as os.stat would have raised it. */
static PyObject *
failure(const Entry *e)
{
    errno = e->err;
    PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, e->key);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value == NULL || !PyObject_TypeCheck(value, (PyTypeObject *)PyExc_OSError)) {
        PyErr_Restore(type, value, tb); /* no memory to make it, say */
        return NULL;
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return Py_BuildValue("(ON)", e->key, value);
}

static PyObject *
found(const Entry *e, PyObject *make_stat)
{
    PyObject *args[3] = {PyLong_FromUnsignedLong(e->mode), PyLong_FromLongLong(e->size), mtime_ns(e)};
    PyObject *st = NULL;
    if (args[0] != NULL && args[1] != NULL && args[2] != NULL)
        st = PyObject_Vectorcall(make_stat, args, 3, NULL);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(args[i]);
    return st == NULL ? NULL : Py_BuildValue("(ON)", e->key, st);
}

static int
append(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

static PyObject *
list_folder(PyObject *Py_UNUSED(self), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "list_folder(folder, seen, known, make_stat) takes 4 arguments");
        return NULL;
    }
    PyObject *folder = args[0], *seen = args[1], *known = args[2], *make_stat = args[3];
    if (!PyUnicode_Check(folder) || (seen != Py_None && !PySet_Check(seen)) ||
        (known != Py_None && !PyDict_Check(known)) || !PyCallable_Check(make_stat)) {
        PyErr_SetString(PyExc_TypeError, "list_folder(str, set | None, dict | None, callable)");
        return NULL;
    }
    PyObject *encoded = NULL, *prefix = NULL, *files = NULL, *dirs = NULL, *result = NULL;
    Listing l = {0};
    if (!PyUnicode_FSConverter(folder, &encoded))
        return NULL;
    int rc = 0, err = 0;
    Py_BEGIN_ALLOW_THREADS
    l.dir = opendir(PyBytes_AS_STRING(encoded));
    rc = l.dir == NULL ? -1 : read_names(&l);
    err = errno;
    Py_END_ALLOW_THREADS
    if (rc == -2) {
        PyErr_NoMemory();
        goto done;
    }
    if (rc != 0) {
        errno = err;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, folder);
        goto done;
    }

    if (between != NULL) {
        PyObject *r = PyObject_CallOneArg(between, folder);
        if (r == NULL)
            goto done;
        Py_DECREF(r);
    }

    /* the paths, and seen asked (and told) of each file before it is stat'ed */
    Py_ssize_t n = PyUnicode_GET_LENGTH(folder);
    if (n == 0 || PyUnicode_READ_CHAR(folder, n - 1) == '/')
        prefix = Py_NewRef(folder);
    else
        prefix = PyUnicode_FromFormat("%U/", folder);
    if (prefix == NULL)
        goto done;
    int to_stat = 0;
    for (size_t i = 0; i < l.count; i++) {
        Entry *e = &l.entries[i];
        e->key = join(prefix, l.names + e->name, e->len, e->ascii);
        if (e->key == NULL)
            goto done;
        if (e->is_folder || seen == Py_None)
            ;
        else {
            int held = PySet_Contains(seen, e->key);
            if (held < 0 || (!held && PySet_Add(seen, e->key) < 0))
                goto done;
            if (held)
                e->state = DROPPED;
        }
        to_stat |= !e->is_folder && e->state == TO_STAT;
    }
    if (to_stat) {
        Py_BEGIN_ALLOW_THREADS
        int fd = dirfd(l.dir);
        for (size_t i = 0; i < l.count; i++)
            if (!l.entries[i].is_folder && l.entries[i].state == TO_STAT)
                stat_entry(fd, l.names + l.entries[i].name, &l.entries[i]);
        Py_END_ALLOW_THREADS
    }

    /* what is not left out, sorted */
    files = PyList_New(0);
    dirs = PyList_New(0);
    if (files == NULL || dirs == NULL)
        goto done;
    Py_ssize_t left = 0, bad = 0;
    long long bytes = 0;
    for (size_t i = 0; i < l.count; i++) {
        Entry *e = &l.entries[i];
        if (e->is_folder) {
            if (PyList_Append(dirs, e->key) < 0)
                goto done;
            continue;
        }
        if (e->state == DROPPED)
            continue;
        if (e->state == FAILED) {
            if (append(files, failure(e)) < 0)
                goto done;
            continue;
        }
        if (known != Py_None && S_ISREG(e->mode) && !e->zip) {
            int unreadable = 0;
            int r = unchanged(known, e, &unreadable);
            if (r < 0)
                goto done;
            if (r) {
                left++;
                bad += unreadable;
                bytes += e->size;
                continue;
            }
        }
        if (append(files, found(e, make_stat)) < 0)
            goto done;
    }
    /* paths are unique, so tuples sort by them, and a folder's paths as its names do */
    if (PyList_Sort(files) < 0 || PyList_Sort(dirs) < 0)
        goto done;
    result = Py_BuildValue("(OOnnL)", files, dirs, left, bad, bytes);

done:
    if (l.dir != NULL)
        closedir(l.dir);
    for (size_t i = 0; i < l.count; i++)
        Py_XDECREF(l.entries[i].key);
    PyMem_RawFree(l.entries);
    PyMem_RawFree(l.names);
    Py_XDECREF(encoded);
    Py_XDECREF(prefix);
    Py_XDECREF(files);
    Py_XDECREF(dirs);
    return result;
}

static PyObject *
test_hooks(PyObject *Py_UNUSED(self), PyObject *args)
{
    int types;
    PyObject *call;
    if (!PyArg_ParseTuple(args, "pO", &types, &call))
        return NULL;
    if (call != Py_None && !PyCallable_Check(call)) {
        PyErr_SetString(PyExc_TypeError, "between: a callable or None");
        return NULL;
    }
    use_d_type = types;
    Py_XSETREF(between, call == Py_None ? NULL : Py_NewRef(call));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"list_folder", (PyCFunction)(void (*)(void))list_folder, METH_FASTCALL,
     "list_folder(folder, seen, known, make_stat) -> (files, subfolders, left_out, unreadable, left_out_bytes)"},
    {"_test_hooks", test_hooks, METH_VARARGS,
     "_test_hooks(use_d_type, between): for the tests, readdir's types ignored; between(folder) once it is listed"},
    {NULL, NULL, 0, NULL},
};

#else /* _WIN32: no opendir, d_type or fstatat; folders.py walks in Python there */

static PyMethodDef methods[] = {
    {NULL, NULL, 0, NULL},
};

#endif

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_folders", "One folder of fitplug's folder walk, natively (POSIX).", -1, methods,
};

PyMODINIT_FUNC
PyInit__folders(void)
{
    return PyModule_Create(&module);
}
