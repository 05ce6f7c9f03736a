// ITK transform files of the camera's place, for 3D Slicer.
//
// Facts (Slicer developer guide, "Transforms"; vtkITKTransformConverter): an ITK file
// holds the transform in the resampling convention ("from parent") and in LPS; Slicer
// loads a linear one as the RAS "to parent" transform
//   M_RAS_toParent = inverse(F * M_LPS * F),  F = diag(-1, -1, 1, 1).
// We want the Slicer node to be the camera's world_from_cam (a camera model placed under
// it lands at the camera), so the file holds M_LPS = F * cam_from_world * F.
//
// File layout written (ITK's text format):
//   #Insight Transform File V1.0
//   #Transform 0
//   Transform: AffineTransform_double_3_3
//   Parameters: m00 m01 m02 m10 m11 m12 m20 m21 m22 t0 t1 t2     (row-major matrix, then
//   FixedParameters: 0 0 0                                      translation; centre 0)
#ifndef CR_REG_ITK_TRANSFORM_H
#define CR_REG_ITK_TRANSFORM_H

#include "core/pose.h"

#ifdef __cplusplus
extern "C" {
#endif

// Writes the 4x4 affine M (LPS, from parent) as an ITK file, atomically.
int cr_reg_itk_write_affine(const char *path, const double M_lps[4][4]);
// Reads the first transform of an ITK text file of type AffineTransform_{double,float}_3_3
// or MatrixOffsetTransformBase_{double,float}_3_3. A non-zero centre (FixedParameters) is folded
// in: y = A (x - c) + c + t. CR_EIO if unreadable, CR_EFORMAT (naming the file and line) if
// malformed, CR_EUNSUPPORTED for other transform types.
int cr_reg_itk_read_affine(const char *path, double M_lps[4][4]);

// Writes the camera of pose cam_from_world (world = RAS) as described above.
int cr_reg_itk_write_camera(const char *path, const cr_pose *cam_from_world);
// Reads a file written by cr_reg_itk_write_camera back into cam_from_world. CR_EFORMAT
// if the matrix is not rigid.
int cr_reg_itk_read_camera(const char *path, cr_pose *cam_from_world);

// What Slicer does on loading: the RAS "to parent" matrix of an LPS "from parent" file
// matrix. CR_ENUMERIC if singular.
int cr_reg_itk_slicer_to_parent(const double M_lps[4][4], double M_ras_to_parent[4][4]);

#ifdef __cplusplus
}
#endif
#endif
