#pragma once
// Whether this test binary is built with AddressSanitizer (the `asan` preset): some tests
// time parbench against limits the sanitizer runtime itself runs into, and run only in the
// release test step (docs/reliability.md, "Sanitizers, fuzzing and static analysis in CI").

namespace parbench::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool under_address_sanitizer = true;
#else
inline constexpr bool under_address_sanitizer = false;
#endif
#else
inline constexpr bool under_address_sanitizer = false;
#endif

}  // namespace parbench::test
