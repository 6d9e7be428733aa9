/* yingji.warnings.cap._native: the hot loops of CAP import, in C.
 *
 * polygon(text) -> bytes | None
 *     The numbers of a <polygon> ("lat,lon lat,lon ...") as native doubles, packed, in order, every
 *     latitude in -90..90 and longitude in -180..180; None for anything else, and the caller's Python
 *     path then reads the text (and names the fault). Accepted: ASCII, pairs separated by spaces, tabs or
 *     line ends, each pair two numbers [+-]digits[.digits] (or .digits, or digits.) joined by one comma,
 *     no exponents. Each number is the double Python's float() makes of its text: exact arithmetic when
 *     its significant digits fit 2^53 and it has at most 22 decimals (Clinger's fast path: both operands
 *     exact, one correctly rounded division), otherwise PyOS_string_to_double, Python's own reader.
 *     Blank text is declined too. The count of points and the closing point are the caller's to check.
 *
 * circle(text) -> (lat, lon, radius) | None
 *     A <circle> "lat,lon radius" (blanks around it aside) as three floats read as polygon() reads its
 *     numbers, the centre within range; None for any other form and for a radius written with a minus.
 *
 * values(alert) -> (dict, int) | None
 *     The plain values of a CAP 1.2 <alert> element (an lxml element) that has just passed the 1.2 XSD:
 *     the model's keyword arguments for Alert, each <info>, <resource> and <area> a dict of its own,
 *     texts as Python's reader.text() gives them (stripped where the field is a code), valueName/value
 *     pairs as tuples, a polygon as polygon()'s bytes and a circle as circle()'s tuple (or their text when
 *     those decline), times as datetimes, other numbers as text; and the count of ds:Signature children. It reads
 *     the libxml2 tree under the element directly (lxml's public C structure, lxml/etree.h), making no
 *     Python object per element. None when it meets anything it does not know (another namespace, an
 *     entity reference, an element inside a text) or a time that is not one: the careful reader then takes
 *     the alert.
 *     yingji.warnings.cap.fast.values is the same function in Python; the tests hold the two equal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <datetime.h>
#include <libxml/tree.h>
#include "etree.h"

static const double POW10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define TWO_53 9007199254740992ULL

static const uint64_t POW10_INT[18] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
    10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
    1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
};

static inline int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_WORDS 1
#else
#define LITTLE_ENDIAN_WORDS 0
#endif

/* The digits that start at p (at most 19 of them count; past that the mantissa may wrap and is not used):
   added to *mantissa, their count returned. Eight bytes at a time where eight can be read: the bytes are
   turned into digit values (x), the first that is not a digit is found with one addition (a byte of x of
   10 or more, or any non-ASCII byte, sets its high bit; the bytes before the first such byte carry
   nothing), and the digits before it are combined pairwise (two, then four, then eight places). */
static inline Py_ssize_t read_digits(const unsigned char *p, const unsigned char *end, uint64_t *mantissa) {
    const unsigned char *start = p;
    uint64_t m = *mantissa;
    while (LITTLE_ENDIAN_WORDS && end - p >= 8) {
        uint64_t word, x, stop;
        memcpy(&word, p, 8);
        x = word ^ 0x3030303030303030ULL;
        stop = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
        int n = stop ? __builtin_ctzll(stop) >> 3 : 8;
        if (n == 0) break;
        x <<= (8 - n) * 8; /* the n digits at the top, zeros (leading digits 0) below */
        x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFULL;
        x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFULL;
        x = (x * 10000 + (x >> 32)) & 0x00000000FFFFFFFFULL;
        m = m * POW10_INT[n] + x;
        p += n;
        if (n < 8) {
            *mantissa = m;
            return p - start;
        }
    }
    while (p < end && is_digit(*p)) m = m * 10 + (uint64_t)(*p++ - '0');
    *mantissa = m;
    return p - start;
}

/* A number that read_number() cannot make exactly with one division (over 19 digits, over 22 decimals, or a
   mantissa beyond 2^53), from start to p: Python's own reader. */
static __attribute__((noinline)) const unsigned char *read_rare(const unsigned char *start, const unsigned char *p,
                                                                uint64_t limit, double *out, int *in_range) {
    char buf[128];
    size_t len = (size_t)(p - start);
    if (len >= sizeof buf) return NULL;
    memcpy(buf, start, len);
    buf[len] = '\0';
    char *stop = NULL;
    double v = PyOS_string_to_double(buf, &stop, NULL);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return NULL;
    }
    if (stop != buf + len) return NULL;
    *out = v;
    *in_range = fabs(v) <= (double)limit;
    return p;
}

/* One number from p (before end) into *out, and whether it lies within -limit..limit into *in_range. Returns
   the position after it, or NULL if there is none there. */
static inline __attribute__((always_inline)) const unsigned char *read_number(
    const unsigned char *p, const unsigned char *end, uint64_t limit, double *out, int *in_range) {
    const unsigned char *start = p;
    int negative = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        negative = *p == '-';
        p++;
    }
    /* every digit goes into the mantissa (leading zeros add nothing); past 19 digits it may wrap, and
       is then not used */
    uint64_t mantissa = 0;
    const unsigned char *first = p;
    while (p < end && is_digit(*p)) mantissa = mantissa * 10 + (uint64_t)(*p++ - '0'); /* a few: one by one */
    Py_ssize_t digits = p - first, decimals = 0;
    if (p < end && *p == '.') {
        decimals = read_digits(++p, end, &mantissa);
        p += decimals;
        digits += decimals;
    }
    if (!digits) return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) return NULL; /* exponents: the Python path */
    if (digits <= 19 && mantissa <= TWO_53 && decimals <= 22) {
        double v = (double)mantissa / POW10[decimals];
        *out = negative ? -v : v;
        /* Within the limit when the exact value is (mantissa <= limit * 10^decimals; below 10 when there
           are 18 or more decimals): decided on integers, so that nothing waits for the division. Only a
           number beyond it compares its double, which rounding may have brought back to the limit. */
        *in_range = decimals >= 18 || mantissa <= limit * POW10_INT[decimals] || fabs(*out) <= (double)limit;
        return p;
    }
    return read_rare(start, p, limit, out, in_range);
}

/* The numbers of a polygon's ASCII text as packed doubles; Py_None when the text is not in the accepted form. */
static PyObject *scan_polygon(const unsigned char *p, Py_ssize_t length) {
    const unsigned char *end = p + length;
    /* room for one number per 8 characters ("44.6,82.8 " is two in 10), grown if a text holds more */
    Py_ssize_t most = (length / 16 + 1) * 2;
    PyObject *out = PyBytes_FromStringAndSize(NULL, most * (Py_ssize_t)sizeof(double));
    if (out == NULL) return NULL;
    double *numbers = (double *)PyBytes_AS_STRING(out);
    Py_ssize_t count = 0;
    while (p < end && is_blank(*p)) p++;
    while (p < end) {
        double lat, lon;
        int lat_ok, lon_ok;
        p = read_number(p, end, 90, &lat, &lat_ok);
        if (p == NULL || p >= end || *p != ',') goto refuse;
        p = read_number(p + 1, end, 180, &lon, &lon_ok);
        if (p == NULL || (p < end && !is_blank(*p))) goto refuse;
        if (!(lat_ok && lon_ok)) goto refuse;
        if (count + 2 > most) {
            most *= 2;
            if (_PyBytes_Resize(&out, most * (Py_ssize_t)sizeof(double)) < 0) return NULL;
            numbers = (double *)PyBytes_AS_STRING(out);
        }
        numbers[count++] = lat;
        numbers[count++] = lon;
        while (p < end && is_blank(*p)) p++;
    }
    if (count == 0) goto refuse; /* blank: the caller's (an empty polygon is ignored with a warning) */
    if (_PyBytes_Resize(&out, count * (Py_ssize_t)sizeof(double)) < 0) return NULL;
    return out;
refuse:
    Py_DECREF(out);
    Py_RETURN_NONE;
}

static PyObject *native_polygon(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "polygon() takes a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    return scan_polygon((const unsigned char *)PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg));
}

/* ---- values(): the libxml2 tree under a schema-valid <alert> ---------------------------------------- */

#define CAP12 "urn:oasis:names:tc:emergency:cap:1.2"
#define DSIG "http://www.w3.org/2000/09/xmldsig#"

enum kind { RAW, STRIP, LIST_RAW, LIST_STRIP, PAIR, POLYGON, CIRCLE, TIME, INFO, RESOURCE, AREA };

struct field {
    const char *tag;   /* the CAP element's local name */
    const char *name;  /* the model's field */
    enum kind kind;
    PyObject *key;     /* name, interned at import */
};

static struct field ALERT_FIELDS[] = {
    {"identifier", "identifier", RAW, NULL}, {"sender", "sender", RAW, NULL}, {"sent", "sent", TIME, NULL},
    {"status", "status", STRIP, NULL}, {"msgType", "msg_type", STRIP, NULL}, {"source", "source", RAW, NULL},
    {"scope", "scope", STRIP, NULL}, {"restriction", "restriction", RAW, NULL}, {"addresses", "addresses", RAW, NULL},
    {"code", "code", LIST_RAW, NULL}, {"note", "note", RAW, NULL}, {"references", "references", RAW, NULL},
    {"incidents", "incidents", RAW, NULL}, {"info", "infos", INFO, NULL}, {NULL, NULL, RAW, NULL},
};
static struct field INFO_FIELDS[] = {
    {"language", "language", STRIP, NULL}, {"category", "category", LIST_STRIP, NULL}, {"event", "event", RAW, NULL},
    {"responseType", "response_type", LIST_STRIP, NULL}, {"urgency", "urgency", STRIP, NULL},
    {"severity", "severity", STRIP, NULL}, {"certainty", "certainty", STRIP, NULL}, {"audience", "audience", RAW, NULL},
    {"eventCode", "event_codes", PAIR, NULL}, {"effective", "effective", TIME, NULL}, {"onset", "onset", TIME, NULL},
    {"expires", "expires", TIME, NULL}, {"senderName", "sender_name", RAW, NULL}, {"headline", "headline", RAW, NULL},
    {"description", "description", RAW, NULL}, {"instruction", "instruction", RAW, NULL}, {"web", "web", STRIP, NULL},
    {"contact", "contact", RAW, NULL}, {"parameter", "parameters", PAIR, NULL}, {"resource", "resources", RESOURCE, NULL},
    {"area", "areas", AREA, NULL}, {NULL, NULL, RAW, NULL},
};
static struct field RESOURCE_FIELDS[] = {
    {"resourceDesc", "resource_desc", RAW, NULL}, {"mimeType", "mime_type", STRIP, NULL}, {"size", "size", RAW, NULL},
    {"uri", "uri", STRIP, NULL}, {"derefUri", "deref_uri", RAW, NULL}, {"digest", "digest", STRIP, NULL}, {NULL, NULL, RAW, NULL},
};
static struct field AREA_FIELDS[] = {
    {"areaDesc", "area_desc", RAW, NULL}, {"polygon", "polygons", POLYGON, NULL}, {"circle", "circles", CIRCLE, NULL},
    {"geocode", "geocodes", PAIR, NULL}, {"altitude", "altitude", RAW, NULL}, {"ceiling", "ceiling", RAW, NULL},
    {NULL, NULL, RAW, NULL},
};
static struct field *TABLES[] = {ALERT_FIELDS, INFO_FIELDS, RESOURCE_FIELDS, AREA_FIELDS, NULL};

static PyTypeObject *element_type; /* lxml.etree._Element */
static PyObject *empty_str;
static PyObject *zones;             /* offset in minutes -> timezone, made once each */

/* The timezone of an offset in minutes (a borrowed reference). */
static PyObject *zone(int minutes) {
    if (minutes == 0) return PyDateTime_TimeZone_UTC;
    PyObject *key = PyLong_FromLong(minutes);
    if (key == NULL) return NULL;
    PyObject *tz = PyDict_GetItemWithError(zones, key);
    if (tz == NULL && !PyErr_Occurred()) {
        PyObject *delta = PyDelta_FromDSU(0, minutes * 60, 0);
        if (delta != NULL) {
            tz = PyTimeZone_FromOffset(delta);
            Py_DECREF(delta);
            if (tz != NULL) {
                int rc = PyDict_SetItem(zones, key, tz);
                Py_DECREF(tz); /* the dict keeps it */
                if (rc < 0) tz = NULL;
            }
        }
    }
    Py_DECREF(key);
    return tz;
}

static inline int in_ns(xmlNode *node, const char *href) {
    return node->ns != NULL && node->ns->href != NULL && strcmp((const char *)node->ns->href, href) == 0;
}

static const struct field *find(const struct field *table, const xmlChar *name) {
    for (; table->tag != NULL; table++)
        if (table->tag[0] == (char)name[0] && strcmp(table->tag, (const char *)name) == 0) return table;
    return NULL;
}

/* The text of a leaf element as reader.text() reads it: its text and CDATA, comments skipped. Sets *decline
   (and returns NULL) when the element holds anything else. With strip, blanks at both ends go, as
   str.strip() takes them. */
static PyObject *leaf_text(xmlNode *el, int strip, int *decline) {
    xmlNode *c = el->children;
    const char *data;
    Py_ssize_t length;
    char *joined = NULL;
    if (c == NULL) {
        Py_INCREF(empty_str);
        return empty_str;
    }
    if (c->next == NULL && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)) {
        data = (const char *)c->content;
        length = data ? (Py_ssize_t)strlen(data) : 0;
    } else {
        size_t total = 0;
        for (xmlNode *k = c; k; k = k->next) {
            if (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) {
                if (k->content) total += strlen((const char *)k->content);
            } else if (k->type != XML_COMMENT_NODE && k->type != XML_PI_NODE) {
                *decline = 1;
                return NULL;
            }
        }
        joined = PyMem_Malloc(total + 1);
        if (joined == NULL) return PyErr_NoMemory();
        size_t at = 0;
        for (xmlNode *k = c; k; k = k->next)
            if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && k->content) {
                size_t n = strlen((const char *)k->content);
                memcpy(joined + at, k->content, n);
                at += n;
            }
        data = joined;
        length = (Py_ssize_t)total;
    }
    int wide = 0; /* a non-ASCII byte at an end: str.strip() may take it (U+3000, U+00A0, ...) */
    if (strip) {
        while (length > 0 && is_blank((unsigned char)data[0])) data++, length--;
        while (length > 0 && is_blank((unsigned char)data[length - 1])) length--;
        wide = length > 0 && (((unsigned char)data[0]) >= 0x80 || ((unsigned char)data[length - 1]) >= 0x80);
    }
    PyObject *s = PyUnicode_DecodeUTF8(data, length, "strict");
    PyMem_Free(joined);
    if (s != NULL && wide) {
        PyObject *stripped = PyObject_CallMethod(s, "strip", NULL);
        Py_DECREF(s);
        s = stripped;
    }
    return s;
}

/* The two element children (valueName, value) of a pair, as a tuple of their texts. */
static PyObject *pair(xmlNode *el, int *decline) {
    xmlNode *kids[2];
    int n = 0;
    for (xmlNode *k = el->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE) {
            if (n == 2) {
                *decline = 1;
                return NULL;
            }
            kids[n++] = k;
        }
    }
    if (n != 2) {
        *decline = 1;
        return NULL;
    }
    PyObject *name = leaf_text(kids[0], 0, decline);
    if (name == NULL) return NULL;
    PyObject *value = leaf_text(kids[1], 0, decline);
    if (value == NULL) {
        Py_DECREF(name);
        return NULL;
    }
    PyObject *t = PyTuple_Pack(2, name, value);
    Py_DECREF(name);
    Py_DECREF(value);
    return t;
}

/* A polygon: polygon()'s packed doubles when the element holds only text (lxml: len(el) == 0) and the scan
   takes it, else its text. */
static PyObject *polygon_value(xmlNode *el, int *decline) {
    xmlNode *c = el->children;
    if (c != NULL && c->next == NULL && c->type == XML_TEXT_NODE && c->content != NULL) {
        /* one text node (the usual): scanned where it lies; a byte outside the form (non-ASCII too) declines */
        PyObject *packed = scan_polygon(c->content, (Py_ssize_t)strlen((const char *)c->content));
        if (packed != Py_None) return packed; /* the doubles, or NULL: an error */
        Py_DECREF(packed);
        return leaf_text(el, 0, decline);
    }
    int only_text = 1;
    for (xmlNode *k = c; k; k = k->next)
        if (k->type != XML_TEXT_NODE && k->type != XML_CDATA_SECTION_NODE) only_text = 0;
    PyObject *text = leaf_text(el, 0, decline);
    if (text == NULL || !only_text || !PyUnicode_IS_ASCII(text)) return text;
    PyObject *packed = scan_polygon((const unsigned char *)PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text));
    if (packed != Py_None) {
        Py_DECREF(text);
        return packed; /* the doubles, or NULL: an error */
    }
    Py_DECREF(packed);
    return text;
}

/* A circle's (lat, lon, radius) when its text is "lat,lon radius" (blanks around it aside), three plain
   decimals, the centre within range and the radius not written with a minus; Py_None for anything else. */
static PyObject *scan_circle(const unsigned char *p, const unsigned char *end) {
    double lat, lon, radius;
    int lat_ok, lon_ok, radius_ok;
    while (p < end && is_blank(*p)) p++;
    while (end > p && is_blank(end[-1])) end--;
    p = read_number(p, end, 90, &lat, &lat_ok);
    if (p == NULL || p >= end || *p != ',') Py_RETURN_NONE;
    p = read_number(p + 1, end, 180, &lon, &lon_ok);
    if (p == NULL || end - p < 2 || *p != ' ' || p[1] == '-') Py_RETURN_NONE;
    p = read_number(p + 1, end, 0, &radius, &radius_ok);
    if (p != end || !lat_ok || !lon_ok) Py_RETURN_NONE;
    return Py_BuildValue("(ddd)", lat, lon, radius);
}

static PyObject *native_circle(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "circle() takes a str");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    const unsigned char *p = (const unsigned char *)PyUnicode_DATA(arg);
    return scan_circle(p, p + PyUnicode_GET_LENGTH(arg));
}

/* A circle: circle()'s tuple when it takes the element's text, else the text. */
static PyObject *circle_value(xmlNode *el, int *decline) {
    PyObject *text = leaf_text(el, 0, decline);
    if (text == NULL || !PyUnicode_IS_ASCII(text)) return text;
    const unsigned char *p = (const unsigned char *)PyUnicode_DATA(text);
    PyObject *circle = scan_circle(p, p + PyUnicode_GET_LENGTH(text));
    if (circle != Py_None) {
        Py_DECREF(text);
        return circle; /* or NULL: an error */
    }
    Py_DECREF(circle);
    return text;
}

/* A CAP time, YYYY-MM-DDThh:mm:ss+hh:mm (the 1.2 schema's form; blanks around it aside), as the datetime
   datetime.fromisoformat() makes of it (UTC itself for a zero offset, else a fixed-offset timezone); Py_None
   for a date or time that does not exist, or any other form. */
static PyObject *read_time(const unsigned char *p, const unsigned char *end) {
    static const char FORM[] = "dddd-dd-ddTdd:dd:dd+dd:dd";
    while (p < end && is_blank(*p)) p++;
    while (end > p && is_blank(end[-1])) end--;
    if (end - p != 25) Py_RETURN_NONE;
    for (int i = 0; i < 25; i++) {
        if (FORM[i] == 'd' ? !is_digit(p[i]) : FORM[i] == '+' ? (p[i] != '+' && p[i] != '-') : p[i] != FORM[i])
            Py_RETURN_NONE;
    }
#define TWO(i) ((p[i] - '0') * 10 + (p[(i) + 1] - '0'))
    int year = TWO(0) * 100 + TWO(2), month = TWO(5), day = TWO(8), hour = TWO(11), minute = TWO(14),
        second = TWO(17), offset = (TWO(20) * 60 + TWO(23)) * (p[19] == '-' ? -1 : 1);
    if (offset <= -24 * 60 || offset >= 24 * 60 || TWO(23) > 59) Py_RETURN_NONE; /* as fromisoformat refuses */
#undef TWO
    PyObject *tz = zone(offset);
    if (tz == NULL) return NULL;
    PyObject *t = PyDateTimeAPI->DateTime_FromDateAndTime(year, month, day, hour, minute, second, 0, tz,
                                                         PyDateTimeAPI->DateTimeType);
    if (t == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) { /* no such date or time */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return t;
}

static PyObject *time_value(xmlNode *el, int *decline) {
    PyObject *text = leaf_text(el, 0, decline);
    if (text == NULL) return NULL;
    PyObject *t = Py_None;
    if (PyUnicode_IS_ASCII(text)) {
        const unsigned char *p = (const unsigned char *)PyUnicode_DATA(text);
        t = read_time(p, p + PyUnicode_GET_LENGTH(text));
    } else {
        Py_INCREF(t);
    }
    Py_DECREF(text);
    if (t == Py_None) {
        Py_DECREF(t);
        *decline = 1;
        return NULL;
    }
    return t;
}

static PyObject *container(xmlNode *el, const struct field *table, int *decline, long *signatures);

/* ---- the model made here when nothing is left to check or warn about ----------------------------------- */

static PyObject *Alert, *Info, *Area, *Resource, *Reference, *Points, *empty_tuple;
static PyObject *k_area_desc, *k_polygons, *k_circles, *k_geocodes, *k_size, *k_areas, *k_resources,
    *k_effective, *k_onset, *k_expires, *k_identifier, *k_sender, *k_references, *k_msg_type, *k_scope,
    *k_restriction, *k_addresses, *k_infos;

/* Every item of dict[key] (when there) is of this type. */
static int all_of(PyObject *dict, PyObject *key, PyObject *type) {
    PyObject *list = PyDict_GetItem(dict, key);
    if (list == NULL) return 1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++)
        if ((PyObject *)Py_TYPE(PyList_GET_ITEM(list, i)) != type) return 0;
    return 1;
}

/* An <area> whose polygons were all scanned (4 points or more, closed) and whose circles were all read,
   with nothing else but its description and geocodes: an Area, its polygons Points. Else the dict, for
   the Python builder (which names what to warn about or gives up). */
static PyObject *finish_area(PyObject *dict) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (key == k_polygons) {
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++) {
                PyObject *item = PyList_GET_ITEM(value, i);
                if (!PyBytes_CheckExact(item)) goto as_dict;
                Py_ssize_t n = PyBytes_GET_SIZE(item) / (Py_ssize_t)sizeof(double);
                const double *v = (const double *)PyBytes_AS_STRING(item);
                if (n < 8 || v[0] != v[n - 2] || v[1] != v[n - 1]) goto as_dict;
            }
        } else if (key == k_circles) {
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(value); i++)
                if (!PyTuple_CheckExact(PyList_GET_ITEM(value, i))) goto as_dict;
        } else if (key != k_area_desc && key != k_geocodes) {
            goto as_dict; /* altitude, ceiling */
        }
    }
    PyObject *polygons = PyDict_GetItem(dict, k_polygons);
    if (polygons != NULL) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(polygons); i++) {
            PyObject *points = PyObject_CallOneArg(Points, PyList_GET_ITEM(polygons, i));
            if (points == NULL) return NULL;
            PyList_SetItem(polygons, i, points); /* takes points, drops the bytes (Points keeps them) */
        }
    }
    return PyObject_Call(Area, empty_tuple, dict);
as_dict:
    Py_INCREF(dict);
    return dict;
}

/* A <resource> whose size (if any) is [+]digits, up to 18 of them: a Resource; else the dict. */
static PyObject *finish_resource(PyObject *dict) {
    PyObject *size = PyDict_GetItem(dict, k_size);
    if (size != NULL) {
        if (!PyUnicode_Check(size) || !PyUnicode_IS_ASCII(size)) goto as_dict;
        const unsigned char *p = (const unsigned char *)PyUnicode_DATA(size), *end = p + PyUnicode_GET_LENGTH(size);
        while (p < end && is_blank(*p)) p++;
        while (end > p && is_blank(end[-1])) end--;
        if (p < end && *p == '+') p++;
        if (p == end || end - p > 18) goto as_dict;
        long long n = 0;
        for (; p < end; p++) {
            if (!is_digit(*p)) goto as_dict;
            n = n * 10 + (*p - '0');
        }
        PyObject *number = PyLong_FromLongLong(n);
        if (number == NULL) return NULL;
        int rc = PyDict_SetItem(dict, k_size, number);
        Py_DECREF(number);
        if (rc < 0) return NULL;
    }
    return PyObject_Call(Resource, empty_tuple, dict);
as_dict:
    Py_INCREF(dict);
    return dict;
}

/* before < after, for two datetimes when both are there (1), else 0; -1 on error. */
static int earlier(PyObject *dict, PyObject *after_key, PyObject *before_key) {
    PyObject *after = PyDict_GetItem(dict, after_key), *before = PyDict_GetItem(dict, before_key);
    if (after == NULL || before == NULL) return 0;
    return PyObject_RichCompareBool(after, before, Py_LT);
}

/* An <info> whose areas and resources were all made, expiring neither before it takes effect nor before
   its onset: an Info; else the dict. */
static PyObject *finish_info(PyObject *dict) {
    if (!all_of(dict, k_areas, Area) || !all_of(dict, k_resources, Resource)) goto as_dict;
    int bad = earlier(dict, k_expires, k_effective);
    if (bad == 0) bad = earlier(dict, k_expires, k_onset);
    if (bad < 0) return NULL;
    if (bad) goto as_dict;
    return PyObject_Call(Info, empty_tuple, dict);
as_dict:
    Py_INCREF(dict);
    return dict;
}

/* An identifier the Python reader takes without a word: ASCII, not empty, no blank, comma, '<' or '&'. */
static int plain_identifier(PyObject *value) {
    if (value == NULL || !PyUnicode_Check(value) || !PyUnicode_IS_ASCII(value)) return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(value);
    const unsigned char *p = (const unsigned char *)PyUnicode_DATA(value);
    if (n == 0) return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] == ',' || p[i] == '<' || p[i] == '&' || p[i] == 0x7F) return 0;
    return 1;
}

/* The triples of <references> ("sender,identifier,sent" separated by blanks), each a Reference, when each
   has two commas, a sender and an identifier, and a time in the CAP form; Py_None for anything else (no
   triple at all included: the Python reader warns about that). */
static PyObject *read_references(PyObject *text) {
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_NONE;
    const unsigned char *p = (const unsigned char *)PyUnicode_DATA(text), *end = p + PyUnicode_GET_LENGTH(text);
    PyObject *list = PyList_New(0);
    if (list == NULL) return NULL;
    for (;;) {
        while (p < end && is_blank(*p)) p++;
        if (p == end) break;
        const unsigned char *start = p, *c1 = NULL, *c2 = NULL;
        for (; p < end && !is_blank(*p); p++) {
            if (*p == ',') {
                if (c1 == NULL) c1 = p;
                else if (c2 == NULL) c2 = p;
                else goto decline;
            }
            else if (*p < ' ' || *p == 0x7F) goto decline; /* what str.split() would also cut at */
        }
        if (c2 == NULL || c1 == start || c2 == c1 + 1) goto decline;
        PyObject *sent = read_time(c2 + 1, p);
        if (sent == NULL) goto error;
        if (sent == Py_None) {
            Py_DECREF(sent);
            goto decline;
        }
        PyObject *ref = PyObject_CallFunction(Reference, "s#s#N", (const char *)start, (Py_ssize_t)(c1 - start),
                                              (const char *)(c1 + 1), (Py_ssize_t)(c2 - c1 - 1), sent);
        if (ref == NULL) goto error;
        int rc = PyList_Append(list, ref);
        Py_DECREF(ref);
        if (rc < 0) goto error;
    }
    if (PyList_GET_SIZE(list) == 0) goto decline;
    return list;
decline:
    Py_DECREF(list);
    Py_RETURN_NONE;
error:
    Py_DECREF(list);
    return NULL;
}

/* An <alert> with every info made, plain identifiers and its references (if any) read: an Alert (the CAP
   rules' warnings about the whole alert are the caller's to add); else the dict. */
static PyObject *finish_alert(PyObject *dict) {
    if (!all_of(dict, k_infos, Info) || !plain_identifier(PyDict_GetItem(dict, k_identifier)) ||
        !plain_identifier(PyDict_GetItem(dict, k_sender)))
        goto as_dict;
    PyObject *references = PyDict_GetItem(dict, k_references);
    if (references != NULL) {
        if (!PyUnicode_Check(references)) goto as_dict;
        PyObject *read = read_references(references);
        if (read == NULL) return NULL;
        if (read == Py_None) {
            Py_DECREF(read);
            goto as_dict;
        }
        int rc = PyDict_SetItem(dict, k_references, read);
        Py_DECREF(read);
        if (rc < 0) return NULL;
    }
    return PyObject_Call(Alert, empty_tuple, dict);
as_dict:
    Py_INCREF(dict);
    return dict;
}

/* Adds one child's value to dict under its field (appending for the repeatable kinds). 0 on success. */
static int put(PyObject *dict, xmlNode *k, const struct field *f, int *decline) {
    PyObject *value;
    switch (f->kind) {
    case RAW:
    case LIST_RAW: value = leaf_text(k, 0, decline); break;
    case STRIP:
    case LIST_STRIP: value = leaf_text(k, 1, decline); break;
    case PAIR: value = pair(k, decline); break;
    case POLYGON: value = polygon_value(k, decline); break;
    case CIRCLE: value = circle_value(k, decline); break;
    case TIME: value = time_value(k, decline); break;
    case INFO: value = container(k, INFO_FIELDS, decline, NULL); break;
    case RESOURCE: value = container(k, RESOURCE_FIELDS, decline, NULL); break;
    default: value = container(k, AREA_FIELDS, decline, NULL); break;
    }
    if (value == NULL) return -1;
    if (value == Py_None) { /* a nested container declined */
        Py_DECREF(value);
        *decline = 1;
        return -1;
    }
    if (f->kind == INFO || f->kind == RESOURCE || f->kind == AREA) {
        PyObject *made = f->kind == INFO ? finish_info(value)
                         : f->kind == RESOURCE ? finish_resource(value) : finish_area(value);
        Py_DECREF(value);
        if (made == NULL) return -1;
        value = made;
    }
    int rc;
    if (f->kind == RAW || f->kind == STRIP || f->kind == TIME) {
        rc = PyDict_SetItem(dict, f->key, value);
    } else {
        PyObject *list = PyDict_GetItemWithError(dict, f->key);
        if (list == NULL && PyErr_Occurred()) {
            rc = -1;
        } else if (list == NULL) {
            list = PyList_New(1);
            if (list == NULL) {
                rc = -1;
            } else {
                Py_INCREF(value);
                PyList_SET_ITEM(list, 0, value);
                rc = PyDict_SetItem(dict, f->key, list);
                Py_DECREF(list);
            }
        } else {
            rc = PyList_Append(list, value);
        }
    }
    Py_DECREF(value);
    return rc;
}

/* A dict of the fields of el's CAP children; Py_None to decline; NULL on error. */
static PyObject *container(xmlNode *el, const struct field *table, int *decline, long *signatures) {
    PyObject *dict = PyDict_New();
    if (dict == NULL) return NULL;
    for (xmlNode *k = el->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE) {
            if (k->type == XML_TEXT_NODE || k->type == XML_COMMENT_NODE || k->type == XML_PI_NODE) continue;
            goto decline;
        }
        if (in_ns(k, CAP12)) {
            const struct field *f = find(table, k->name);
            if (f == NULL) goto decline;
            if (put(dict, k, f, decline) < 0) {
                if (*decline) goto decline;
                Py_DECREF(dict);
                return NULL;
            }
        } else if (signatures != NULL && in_ns(k, DSIG)) {
            ++*signatures;
        } else {
            goto decline;
        }
    }
    return dict;
decline:
    Py_DECREF(dict);
    *decline = 1;
    Py_RETURN_NONE;
}

static PyObject *native_values(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyObject_TypeCheck(arg, element_type)) {
        PyErr_SetString(PyExc_TypeError, "values() takes an lxml element");
        return NULL;
    }
    xmlNode *el = ((struct LxmlElement *)arg)->_c_node;
    if (el == NULL || el->type != XML_ELEMENT_NODE || !in_ns(el, CAP12) || strcmp((const char *)el->name, "alert"))
        Py_RETURN_NONE;
    int decline = 0;
    long signatures = 0;
    PyObject *fields = container(el, ALERT_FIELDS, &decline, &signatures);
    if (fields == NULL || fields == Py_None) return fields;
    PyObject *made = finish_alert(fields);
    Py_DECREF(fields);
    if (made == NULL) return NULL;
    return Py_BuildValue("(Nl)", made, signatures);
}

static PyMethodDef native_methods[] = {
    {"polygon", native_polygon, METH_O,
     "polygon(text) -> bytes | None: a polygon's numbers as packed doubles, range-checked; None: read it in Python"},
    {"circle", native_circle, METH_O,
     "circle(text) -> (lat, lon, radius) | None: a circle in its plain form, range-checked; None: read it in Python"},
    {"values", native_values, METH_O,
     "values(alert) -> (dict, signatures) | None: the plain values of a schema-valid CAP 1.2 alert element"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "_native", "The hot loops of CAP import, in C.", -1, native_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *etree = PyImport_ImportModule("lxml.etree");
    if (etree == NULL) return NULL;
    element_type = (PyTypeObject *)PyObject_GetAttrString(etree, "_Element");
    Py_DECREF(etree);
    if (element_type == NULL) return NULL;
    if (!PyType_Check(element_type)) {
        PyErr_SetString(PyExc_ImportError, "lxml.etree._Element is not a type");
        return NULL;
    }
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    zones = PyDict_New();
    if (zones == NULL) return NULL;
    empty_str = PyUnicode_FromStringAndSize("", 0);
    if (empty_str == NULL) return NULL;
    for (struct field **table = TABLES; *table != NULL; table++)
        for (struct field *f = *table; f->tag != NULL; f++)
            if ((f->key = PyUnicode_InternFromString(f->name)) == NULL) return NULL;
    struct {
        PyObject **key;
        const char *name;
    } keys[] = {
        {&k_area_desc, "area_desc"}, {&k_polygons, "polygons"}, {&k_circles, "circles"}, {&k_geocodes, "geocodes"},
        {&k_size, "size"}, {&k_areas, "areas"}, {&k_resources, "resources"}, {&k_effective, "effective"},
        {&k_onset, "onset"}, {&k_expires, "expires"}, {&k_identifier, "identifier"}, {&k_sender, "sender"},
        {&k_references, "references"}, {&k_msg_type, "msg_type"}, {&k_scope, "scope"},
        {&k_restriction, "restriction"}, {&k_addresses, "addresses"}, {&k_infos, "infos"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) /* the same objects as the tables' keys */
        if ((*keys[i].key = PyUnicode_InternFromString(keys[i].name)) == NULL) return NULL;
    PyObject *model = PyImport_ImportModule("yingji.warnings.cap.model");
    if (model == NULL) return NULL;
    Alert = PyObject_GetAttrString(model, "Alert");
    Info = PyObject_GetAttrString(model, "Info");
    Area = PyObject_GetAttrString(model, "Area");
    Resource = PyObject_GetAttrString(model, "Resource");
    Reference = PyObject_GetAttrString(model, "Reference");
    Points = PyObject_GetAttrString(model, "Points");
    Py_DECREF(model);
    if (!Alert || !Info || !Area || !Resource || !Reference || !Points) return NULL;
    if ((empty_tuple = PyTuple_New(0)) == NULL) return NULL;
    return PyModule_Create(&native_module);
}
