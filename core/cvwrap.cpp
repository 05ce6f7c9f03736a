// core's thin extern "C" wrappers over OpenCV 4 (core, imgproc, imgcodecs).
// Every entry point catches cv::Exception (and std::exception) and reports it through
// the caller's error buffer; no OpenCV type leaves this file.
#include "core/cvwrap.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/cv_guard.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using cr_cv::set_err;
using cr_cv::to_u8;
using cr_cv::wrap;

extern "C" {

int cvw_fs_write(const char *path, const cvw_fs_entry *e, int n, char *err, size_t errlen) {
  CVW_TRY
  cv::FileStorage fs(path, cv::FileStorage::WRITE);
  if (!fs.isOpened()) {
    set_err(err, errlen, "cannot open for writing");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    switch (e[i].type) {
    case CVW_FS_INT: fs << e[i].name << e[i].ival; break;
    case CVW_FS_REAL: fs << e[i].name << e[i].rval; break;
    case CVW_FS_STRING: fs << e[i].name << std::string(e[i].sval ? e[i].sval : ""); break;
    case CVW_FS_MATRIX:
      fs << e[i].name
         << cv::Mat(e[i].rows, e[i].cols, CV_64F, const_cast<double *>(e[i].data)).clone();
      break;
    case CVW_FS_OTHER: set_err(err, errlen, "cannot write an entry of type OTHER"); return -1;
    }
  }
  fs.release();
  return 0;
  CVW_CATCH
}

// Reads a matrix node (OpenCV's "!!opencv-matrix" map with rows, cols, dt and data, or a
// plain sequence of numbers) without cv::Mat: rows and cols are checked against `max`
// values before anything is read, and dt must name one channel ("2d" or "3d" would be
// multi-channel elements that do not fit a camera matrix). 0, or -1 with a reason
// naming `key`.
static int read_numbers(const cv::FileNode &n, const char *key, int max_count, double *out,
                        int *rows, int *cols, char *err, size_t errlen) {
  cv::FileNode data = n;
  *rows = *cols = 0;
  if (n.isMap()) {
    cv::FileNode rn = n["rows"], cn = n["cols"], dn = n["dt"];
    if (!rn.isInt() || !cn.isInt()) {
      set_err(err, errlen, std::string(key) + ": rows and cols must be integers");
      return -1;
    }
    int r = (int)rn, c = (int)cn;
    if (r < 1 || c < 1 || r > max_count || c > max_count || (long)r * c > max_count) {
      set_err(err, errlen,
              std::string(key) + ": " + std::to_string(r) + "x" + std::to_string(c) +
                  " is not a size it can have (at most " + std::to_string(max_count) + " values)");
      return -1;
    }
    if (!dn.empty()) {
      std::string dt = dn.isString() ? (std::string)dn : std::string("?");
      if (dt.size() != 1 || std::string("ucwsifdh").find(dt[0]) == std::string::npos) {
        set_err(err, errlen,
                std::string(key) + ": dt \"" + dt +
                    "\" is not a single-channel element type (u c w s i f d)");
        return -1;
      }
    }
    *rows = r, *cols = c;
    data = n["data"];
  }
  if (!data.isSeq()) {
    set_err(err, errlen, std::string(key) + ": data is not a sequence of numbers");
    return -1;
  }
  size_t count = data.size();
  if (*rows == 0) *rows = 1, *cols = (int)(count <= (size_t)max_count ? count : 0);
  if (count != (size_t)*rows * *cols || count == 0 || count > (size_t)max_count) {
    set_err(err, errlen,
            std::string(key) + ": data holds " + std::to_string(count) + " values, expected " +
                std::to_string((long)*rows * *cols));
    return -1;
  }
  for (size_t i = 0; i < count; i++) {
    cv::FileNode v = data[(int)i];
    if (!v.isInt() && !v.isReal()) {
      set_err(err, errlen,
              std::string(key) + ": value " + std::to_string(i + 1) + " is not a number");
      return -1;
    }
    out[i] = (double)v;
  }
  return 0;
}

int cvw_fs_read(const char *path, cvw_fs_value *values, int n, char *err, size_t errlen) {
  CVW_TRY
  cv::FileStorage fs(path, cv::FileStorage::READ);
  if (!fs.isOpened()) {
    set_err(err, errlen, "cannot parse as OpenCV FileStorage (YAML/XML/JSON)");
    return -1;
  }
  for (int i = 0; i < n; i++) {
    cvw_fs_value *v = &values[i];
    cv::FileNode node = fs[v->name];
    v->found = !node.empty();
    v->type = CVW_FS_OTHER;
    v->rows = v->cols = 0;
    v->rval = 0;
    v->sval[0] = 0;
    if (!v->found) continue;
    if (node.isInt() || node.isReal()) {
      v->type = node.isInt() ? CVW_FS_INT : CVW_FS_REAL;
      v->rval = node.isInt() ? (double)(int)node : (double)node;
    } else if (node.isString()) {
      v->type = CVW_FS_STRING;
      std::snprintf(v->sval, sizeof v->sval, "%s", ((std::string)node).c_str());
    } else if (node.isMap() && node["data"].isSeq()) {
      // Without cv::Mat (read_numbers): sizes and dt checked before anything is read.
      int r, c;
      if (read_numbers(node, v->name, 16, v->data, &r, &c, err, errlen)) return -1;
      v->type = CVW_FS_MATRIX;
      v->rows = r;
      v->cols = c;
    }
  }
  return 0;
  CVW_CATCH
}

int cvw_camera_read(const char *path, double K[9], double dist[14], int *ndist, int *width,
                    int *height, char *err, size_t errlen) {
  CVW_TRY
  cv::FileStorage fs;
  try {
    fs.open(path, cv::FileStorage::READ);
  } catch (const cv::Exception &e) {
    // OpenCV's parser names only its own function ("parseValue"): say what it means.
    std::string why = cr_cv::reason(e);
    set_err(err, errlen,
            "syntax error: not a valid OpenCV FileStorage file (YAML/XML/JSON)" +
                (why != e.func && !why.empty() ? " (" + why + ")" : std::string()));
    return -1;
  }
  if (!fs.isOpened()) {
    set_err(err, errlen, "cannot parse as OpenCV FileStorage (YAML/XML/JSON)");
    return -1;
  }
  cv::FileNode kn = fs["camera_matrix"];
  if (kn.empty()) {
    set_err(err, errlen, "missing key camera_matrix");
    return -1;
  }
  int r, c;
  if (read_numbers(kn, "camera_matrix", 9, K, &r, &c, err, errlen)) return -1;
  if (r * c != 9 || (r != 3 && r != 1 && c != 1)) {
    set_err(err, errlen, "camera_matrix is not 3x3");
    return -1;
  }
  *ndist = 0;
  cv::FileNode dn = fs["distortion_coefficients"];
  if (!dn.empty()) {
    if (read_numbers(dn, "distortion_coefficients", 14, dist, &r, &c, err, errlen)) return -1;
    if (r != 1 && c != 1) {
      set_err(err, errlen, "distortion_coefficients is not a vector of at most 14 values");
      return -1;
    }
    *ndist = r * c;
  }
  cv::FileNode wn = fs["image_width"], hn = fs["image_height"];
  if (wn.empty() || hn.empty() || !wn.isInt() || !hn.isInt()) {
    set_err(err, errlen, "missing or non-integer image_width / image_height");
    return -1;
  }
  *width = (int)wn;
  *height = (int)hn;
  return 0;
  CVW_CATCH
}

int cvw_image_read(const char *path, float **data, int *width, int *height, int *channels,
                   int *bits, char *err, size_t errlen) {
  *data = nullptr;
  CVW_TRY
  cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) {
    set_err(err, errlen, "cannot decode (corrupt or truncated)");
    return -1;
  }
  int c = m.channels();
  if (c != 1 && c != 3 && c != 4) {
    set_err(err, errlen, "unsupported channel count " + std::to_string(c));
    return -1;
  }
  switch (m.depth()) {
  case CV_8U:
  case CV_8S: *bits = 8; break;
  case CV_16U:
  case CV_16S: *bits = 16; break;
  default: *bits = 32; break;
  }
  if (c == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  if (c == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2RGBA);
  float *buf = static_cast<float *>(std::malloc(sizeof(float) * m.total() * c));
  if (!buf) {
    set_err(err, errlen, "out of memory");
    return -1;
  }
  cv::Mat out(m.rows, m.cols, CV_32FC(c), buf);
  m.convertTo(out, CV_32F);
  *data = buf;
  *width = m.cols;
  *height = m.rows;
  *channels = c;
  return 0;
  CVW_CATCH
}

int cvw_image_write(const char *path, const float *data, int width, int height, int channels,
                    size_t stride, int bits, int jpeg_quality, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat src = wrap(data, width, height, channels, stride), m;
  int depth = bits == 8 ? CV_8U : bits == 16 ? CV_16U : CV_32F;
  src.convertTo(m, depth); // rounds and saturates
  if (channels == 3) cv::cvtColor(m, m, cv::COLOR_RGB2BGR);
  if (channels == 4) cv::cvtColor(m, m, cv::COLOR_RGBA2BGRA);
  std::vector<int> params;
  if (jpeg_quality > 0) params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  // OpenCV's TIFF writer stores 3-channel float as lossy LogLuv by default: ask for no
  // compression so float images round-trip exactly.
  if (bits == 32) params = {cv::IMWRITE_TIFF_COMPRESSION, 1};
  if (!cv::imwrite(path, m, params)) {
    set_err(err, errlen, "OpenCV could not write this format/depth");
    return -1;
  }
  return 0;
  CVW_CATCH
}

int cvw_jpeg_roundtrip(float *data, int width, int height, int channels, size_t stride, int quality,
                       char *err, size_t errlen) {
  CVW_TRY
  cv::Mat m = wrap(data, width, height, channels, stride), u8;
  m.convertTo(u8, CV_8U);
  std::vector<uchar> buf;
  cv::imencode(".jpg", u8, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  cv::Mat dec = cv::imdecode(buf, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (dec.empty() || dec.channels() != channels) {
    set_err(err, errlen, "JPEG round trip failed");
    return -1;
  }
  dec.convertTo(m, CV_32F);
  return 0;
  CVW_CATCH
}

int cvw_canny(const float *src, int width, int height, size_t stride, double scale, double low,
              double high, unsigned char *edges, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat out(height, width, CV_8U, edges);
  cv::Canny(to_u8(src, width, height, stride, scale), out, low, high, 3, true);
  return 0;
  CVW_CATCH
}

int cvw_distance_to_features(const unsigned char *features, int width, int height, float *dist,
                             char *err, size_t errlen) {
  CVW_TRY
  // distanceTransform measures the distance to the nearest zero pixel: invert.
  cv::Mat f(height, width, CV_8U, const_cast<unsigned char *>(features)), inv;
  cv::compare(f, 0, inv, cv::CMP_EQ);
  cv::Mat out(height, width, CV_32F, dist);
  cv::distanceTransform(inv, out, cv::DIST_L2, cv::DIST_MASK_5);
  return 0;
  CVW_CATCH
}

int cvw_clahe(const float *src, int width, int height, size_t stride, double scale, double clip,
              int tiles, float *dst, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat u16, eq;
  wrap(src, width, height, 1, stride).convertTo(u16, CV_16U, scale);
  cv::Ptr<cv::CLAHE> clahe = cv::createCLAHE(clip, cv::Size(tiles, tiles));
  clahe->apply(u16, eq);
  cv::Mat out = wrap(dst, width, height, 1, stride);
  eq.convertTo(out, CV_32F, 1.0 / scale);
  return 0;
  CVW_CATCH
}

int cvw_gaussian_blur(const float *src, int width, int height, int channels, size_t stride,
                      double sigma, float *dst, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat out = wrap(dst, width, height, channels, stride);
  cv::GaussianBlur(wrap(src, width, height, channels, stride), out, cv::Size(0, 0), sigma, sigma,
                   cv::BORDER_REFLECT);
  return 0;
  CVW_CATCH
}

int cvw_resize_area(const float *src, int width, int height, int channels, size_t stride,
                    float *dst, int dst_w, int dst_h, char *err, size_t errlen) {
  CVW_TRY
  cv::Mat out(dst_h, dst_w, CV_32FC(channels), dst);
  cv::resize(wrap(src, width, height, channels, stride), out, cv::Size(dst_w, dst_h), 0, 0,
             cv::INTER_AREA);
  return 0;
  CVW_CATCH
}

} // extern "C"
