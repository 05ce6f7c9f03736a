// Private to the OpenCV wrapper files (C++ only: core/cvwrap.cpp, calib/cv_calib.cpp,
// tests/cv_reference.cpp). What every extern "C" wrapper over OpenCV does the same way:
// exceptions become a -1 return with a one-line message in the caller's buffer, and
// caller memory is wrapped as cv::Mat without copying. Include it from .cpp files only,
// after the OpenCV headers the file needs.
#ifndef CR_CORE_CV_GUARD_HPP
#define CR_CORE_CV_GUARD_HPP

#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdio>
#include <string>

namespace cr_cv {

inline void set_err(char *err, size_t errlen, const std::string &msg) {
  if (err && errlen) std::snprintf(err, errlen, "%s", msg.c_str());
}

// Keeps only the first line of OpenCV's multi-line exception text.
inline std::string reason(const cv::Exception &e) {
  std::string m = e.err.empty() ? e.what() : e.err;
  size_t nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

// A float image of the caller (row stride in floats) as a cv::Mat, not copied.
inline cv::Mat wrap(const float *data, int w, int h, int c, size_t stride) {
  return cv::Mat(h, w, CV_32FC(c), const_cast<float *>(data), stride * sizeof(float));
}

// One channel scaled into 8 bits.
inline cv::Mat to_u8(const float *src, int w, int h, size_t stride, double scale) {
  cv::Mat u8;
  wrap(src, w, h, 1, stride).convertTo(u8, CV_8U, scale);
  return u8;
}

} // namespace cr_cv

// The body of an extern "C" wrapper that takes `char *err, size_t errlen`:
//   CVW_TRY ... return 0; CVW_CATCH
#define CVW_TRY try {
#define CVW_CATCH                                                                                  \
  }                                                                                                \
  catch (const cv::Exception &e) {                                                                 \
    cr_cv::set_err(err, errlen, "OpenCV: " + cr_cv::reason(e));                                    \
    return -1;                                                                                     \
  }                                                                                                \
  catch (const std::exception &e) {                                                                \
    cr_cv::set_err(err, errlen, e.what());                                                         \
    return -1;                                                                                     \
  }

#endif
