#include <ft2build.h>
#include FT_FREETYPE_H

// FT_LOAD_TARGET_MONO is a function-like macro, which Swift does not import.
static inline FT_Error yizhan_ft_load_mono(FT_Face face, FT_ULong code) {
    return FT_Load_Char(face, code, FT_LOAD_RENDER | FT_LOAD_TARGET_MONO);
}
