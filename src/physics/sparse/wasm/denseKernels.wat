;; Dense kernels of the supernodal Cholesky factorisation in WebAssembly SIMD (f64x2), the same operations as
;; src/physics/sparse/denseKernels.ts (the JavaScript fallback and reference). Source of the generated module
;; src/physics/sparse/denseKernelsWasm.generated.ts: run `npm run build:wasm` after changing this file (a test
;; fails while the two disagree).
;;
;; Every offset and length is in doubles (element indices into the imported memory, which holds the factor,
;; the update-matrix stack and the pivot thresholds); the code converts them to byte addresses (x 8). Blocks are
;; column-major. Loads and stores may be unaligned (SIMD loads of two doubles at any element index).
(module
  (import "env" "memory" (memory 1))

  ;; Rank-kdim update of nt (1..4) consecutive columns of T from the columns of S (denseKernels.ts rankUpdate):
  ;;   T[t + c*ldt + i] -= sum_{p < kdim} S[s + p*lds + i] * S[s + p*lds + j + c],  c < nt, i0 <= i < i1.
  ;; A 4 x 4 block of T (rows i..i+3, columns c = 0..3) is accumulated in eight f64x2 registers over all p and
  ;; written once: per p, two vector loads of S's rows i..i+3 and four broadcasts of S's rows j..j+3 feed eight
  ;; vector multiply-adds. Columns c >= nt are computed from whatever follows column j+nt-1 in memory and
  ;; discarded (the memory is padded at its end so that those reads stay inside it).
  (func $rank4 (export "rank4")
    (param $t i32) (param $ldt i32) (param $s i32) (param $lds i32) (param $j i32) (param $nt i32)
    (param $i0 i32) (param $i1 i32) (param $kdim i32)
    (local $i i32) (local $p i32) (local $pa i32) (local $pb i32) (local $step i32) (local $ldtb i32) (local $tb i32)
    (local $x0 v128) (local $x1 v128) (local $b v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $xs f64) (local $s0 f64) (local $s1 f64) (local $s2 f64) (local $s3 f64)
    (local.set $step (i32.shl (local.get $lds) (i32.const 3)))
    (local.set $ldtb (i32.shl (local.get $ldt) (i32.const 3)))
    (local.set $i (local.get $i0))
    ;; Four rows at a time.
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $i1)))
        (local.set $a0 (v128.const f64x2 0 0))
        (local.set $a1 (v128.const f64x2 0 0))
        (local.set $a2 (v128.const f64x2 0 0))
        (local.set $a3 (v128.const f64x2 0 0))
        (local.set $a4 (v128.const f64x2 0 0))
        (local.set $a5 (v128.const f64x2 0 0))
        (local.set $a6 (v128.const f64x2 0 0))
        (local.set $a7 (v128.const f64x2 0 0))
        (local.set $pa (i32.shl (i32.add (local.get $s) (local.get $i)) (i32.const 3)))
        (local.set $pb (i32.shl (i32.add (local.get $s) (local.get $j)) (i32.const 3)))
        (local.set $p (local.get $kdim))
        (block $pdone
          (loop $ploop
            (br_if $pdone (i32.eqz (local.get $p)))
            (local.set $x0 (v128.load (local.get $pa)))
            (local.set $x1 (v128.load offset=16 (local.get $pa)))
            (local.set $b (f64x2.splat (f64.load (local.get $pb))))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x0) (local.get $b))))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x1) (local.get $b))))
            (local.set $b (f64x2.splat (f64.load offset=8 (local.get $pb))))
            (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $x0) (local.get $b))))
            (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $x1) (local.get $b))))
            (local.set $b (f64x2.splat (f64.load offset=16 (local.get $pb))))
            (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (local.get $x0) (local.get $b))))
            (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (local.get $x1) (local.get $b))))
            (local.set $b (f64x2.splat (f64.load offset=24 (local.get $pb))))
            (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (local.get $x0) (local.get $b))))
            (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (local.get $x1) (local.get $b))))
            (local.set $pa (i32.add (local.get $pa) (local.get $step)))
            (local.set $pb (i32.add (local.get $pb) (local.get $step)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $ploop)))
        (local.set $tb (i32.shl (i32.add (local.get $t) (local.get $i)) (i32.const 3)))
        (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a0)))
        (v128.store offset=16 (local.get $tb) (f64x2.sub (v128.load offset=16 (local.get $tb)) (local.get $a1)))
        (if (i32.gt_s (local.get $nt) (i32.const 1))
          (then
            (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
            (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a2)))
            (v128.store offset=16 (local.get $tb) (f64x2.sub (v128.load offset=16 (local.get $tb)) (local.get $a3)))
            (if (i32.gt_s (local.get $nt) (i32.const 2))
              (then
                (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
                (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a4)))
                (v128.store offset=16 (local.get $tb) (f64x2.sub (v128.load offset=16 (local.get $tb)) (local.get $a5)))
                (if (i32.gt_s (local.get $nt) (i32.const 3))
                  (then
                    (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
                    (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a6)))
                    (v128.store offset=16 (local.get $tb)
                      (f64x2.sub (v128.load offset=16 (local.get $tb)) (local.get $a7)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; Two rows.
    (if (i32.le_s (i32.add (local.get $i) (i32.const 2)) (local.get $i1))
      (then
        (local.set $a0 (v128.const f64x2 0 0))
        (local.set $a2 (v128.const f64x2 0 0))
        (local.set $a4 (v128.const f64x2 0 0))
        (local.set $a6 (v128.const f64x2 0 0))
        (local.set $pa (i32.shl (i32.add (local.get $s) (local.get $i)) (i32.const 3)))
        (local.set $pb (i32.shl (i32.add (local.get $s) (local.get $j)) (i32.const 3)))
        (local.set $p (local.get $kdim))
        (block $pdone2
          (loop $ploop2
            (br_if $pdone2 (i32.eqz (local.get $p)))
            (local.set $x0 (v128.load (local.get $pa)))
            (local.set $a0 (f64x2.add (local.get $a0)
              (f64x2.mul (local.get $x0) (f64x2.splat (f64.load (local.get $pb))))))
            (local.set $a2 (f64x2.add (local.get $a2)
              (f64x2.mul (local.get $x0) (f64x2.splat (f64.load offset=8 (local.get $pb))))))
            (local.set $a4 (f64x2.add (local.get $a4)
              (f64x2.mul (local.get $x0) (f64x2.splat (f64.load offset=16 (local.get $pb))))))
            (local.set $a6 (f64x2.add (local.get $a6)
              (f64x2.mul (local.get $x0) (f64x2.splat (f64.load offset=24 (local.get $pb))))))
            (local.set $pa (i32.add (local.get $pa) (local.get $step)))
            (local.set $pb (i32.add (local.get $pb) (local.get $step)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $ploop2)))
        (local.set $tb (i32.shl (i32.add (local.get $t) (local.get $i)) (i32.const 3)))
        (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a0)))
        (if (i32.gt_s (local.get $nt) (i32.const 1))
          (then
            (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
            (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a2)))
            (if (i32.gt_s (local.get $nt) (i32.const 2))
              (then
                (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
                (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a4)))
                (if (i32.gt_s (local.get $nt) (i32.const 3))
                  (then
                    (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
                    (v128.store (local.get $tb) (f64x2.sub (v128.load (local.get $tb)) (local.get $a6)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))))
    ;; One row.
    (if (i32.lt_s (local.get $i) (local.get $i1))
      (then
        (local.set $s0 (f64.const 0))
        (local.set $s1 (f64.const 0))
        (local.set $s2 (f64.const 0))
        (local.set $s3 (f64.const 0))
        (local.set $pa (i32.shl (i32.add (local.get $s) (local.get $i)) (i32.const 3)))
        (local.set $pb (i32.shl (i32.add (local.get $s) (local.get $j)) (i32.const 3)))
        (local.set $p (local.get $kdim))
        (block $pdone1
          (loop $ploop1
            (br_if $pdone1 (i32.eqz (local.get $p)))
            (local.set $xs (f64.load (local.get $pa)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (local.get $xs) (f64.load (local.get $pb)))))
            (local.set $s1 (f64.add (local.get $s1) (f64.mul (local.get $xs) (f64.load offset=8 (local.get $pb)))))
            (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $xs) (f64.load offset=16 (local.get $pb)))))
            (local.set $s3 (f64.add (local.get $s3) (f64.mul (local.get $xs) (f64.load offset=24 (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $step)))
            (local.set $pb (i32.add (local.get $pb) (local.get $step)))
            (local.set $p (i32.sub (local.get $p) (i32.const 1)))
            (br $ploop1)))
        (local.set $tb (i32.shl (i32.add (local.get $t) (local.get $i)) (i32.const 3)))
        (f64.store (local.get $tb) (f64.sub (f64.load (local.get $tb)) (local.get $s0)))
        (if (i32.gt_s (local.get $nt) (i32.const 1))
          (then
            (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
            (f64.store (local.get $tb) (f64.sub (f64.load (local.get $tb)) (local.get $s1)))
            (if (i32.gt_s (local.get $nt) (i32.const 2))
              (then
                (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
                (f64.store (local.get $tb) (f64.sub (f64.load (local.get $tb)) (local.get $s2)))
                (if (i32.gt_s (local.get $nt) (i32.const 3))
                  (then
                    (local.set $tb (i32.add (local.get $tb) (local.get $ldtb)))
                    (f64.store (local.get $tb) (f64.sub (f64.load (local.get $tb)) (local.get $s3))))))))))))

  ;; Symmetric rank-w downdate of the u x u update matrix at uo (leading dimension u, lower triangle, and the
  ;; upper triangle of its 4 x 4 diagonal blocks as scratch): U -= L21 L21^T, L21 the u x w block at s (leading
  ;; dimension lds). denseKernels.ts syrkLower.
  (func $syrk (export "syrk") (param $uo i32) (param $u i32) (param $s i32) (param $lds i32) (param $w i32)
    (local $j i32) (local $nt i32)
    (block $done
      (loop $cols
        (br_if $done (i32.ge_s (local.get $j) (local.get $u)))
        (local.set $nt (i32.sub (local.get $u) (local.get $j)))
        (if (i32.gt_s (local.get $nt) (i32.const 4)) (then (local.set $nt (i32.const 4))))
        (call $rank4
          (i32.add (local.get $uo) (i32.mul (local.get $j) (local.get $u))) (local.get $u)
          (local.get $s) (local.get $lds) (local.get $j) (local.get $nt)
          (local.get $j) (local.get $u) (local.get $w))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cols))))

  ;; In-place Cholesky of the dense m x w trapezoid at off (leading dimension m): L11 in the leading block's lower
  ;; triangle, L21 = A21 L11^-T below (denseKernels.ts choleskyPanel). Left-looking in blocks of four columns: the
  ;; block receives the columns to its left through rank4, then is factorised column by column (two rows per
  ;; SIMD operation). A pivot must exceed the threshold at tol + k (element index; k the column in the panel).
  ;; Returns the first column k whose pivot does not, or -1.
  (func $panel (export "panel") (param $off i32) (param $m i32) (param $w i32) (param $tol i32) (result i32)
    (local $kb i32) (local $nb i32) (local $c i32) (local $k i32) (local $p i32)
    (local $ck i32) (local $cp i32) (local $q i32) (local $end i32) (local $mb i32)
    (local $a v128) (local $d f64) (local $r f64)
    (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_s (local.get $kb) (local.get $w)))
        (local.set $nb (i32.sub (local.get $w) (local.get $kb)))
        (if (i32.gt_s (local.get $nb) (i32.const 4)) (then (local.set $nb (i32.const 4))))
        (if (i32.gt_s (local.get $kb) (i32.const 0))
          (then
            (call $rank4
              (i32.add (local.get $off) (i32.mul (local.get $kb) (local.get $m))) (local.get $m)
              (local.get $off) (local.get $m) (local.get $kb) (local.get $nb)
              (local.get $kb) (local.get $m) (local.get $kb))))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cols
            (br_if $cdone (i32.ge_s (local.get $c) (local.get $nb)))
            (local.set $k (i32.add (local.get $kb) (local.get $c)))
            ;; byte address of column k, and of its end
            (local.set $ck (i32.shl (i32.add (local.get $off) (i32.mul (local.get $k) (local.get $m))) (i32.const 3)))
            (local.set $end (i32.add (local.get $ck) (local.get $mb)))
            ;; the earlier columns of this block: column k -= L[k, p] * column p, rows k..m-1
            (local.set $p (local.get $kb))
            (block $pdone
              (loop $ploop
                (br_if $pdone (i32.ge_s (local.get $p) (local.get $k)))
                (local.set $cp (i32.shl (i32.add (local.get $off) (i32.mul (local.get $p) (local.get $m))) (i32.const 3)))
                (local.set $a (f64x2.splat (f64.load (i32.add (local.get $cp) (i32.shl (local.get $k) (i32.const 3))))))
                ;; q walks column k's rows (bytes); column p's row is at q - ck + cp
                (local.set $cp (i32.sub (local.get $cp) (local.get $ck)))
                (local.set $q (i32.add (local.get $ck) (i32.shl (local.get $k) (i32.const 3))))
                (block $vdone
                  (loop $vloop
                    (br_if $vdone (i32.gt_s (i32.add (local.get $q) (i32.const 16)) (local.get $end)))
                    (v128.store (local.get $q)
                      (f64x2.sub (v128.load (local.get $q))
                        (f64x2.mul (local.get $a) (v128.load (i32.add (local.get $q) (local.get $cp))))))
                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                    (br $vloop)))
                (if (i32.lt_s (local.get $q) (local.get $end))
                  (then
                    (f64.store (local.get $q)
                      (f64.sub (f64.load (local.get $q))
                        (f64.mul (f64x2.extract_lane 0 (local.get $a)) (f64.load (i32.add (local.get $q) (local.get $cp))))))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $ploop)))
            ;; the pivot
            (local.set $q (i32.add (local.get $ck) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $d (f64.load (local.get $q)))
            (if (i32.eqz (f64.gt (local.get $d) (f64.load (i32.shl (i32.add (local.get $tol) (local.get $k)) (i32.const 3)))))
              (then (return (local.get $k))))
            (local.set $r (f64.sqrt (local.get $d)))
            (f64.store (local.get $q) (local.get $r))
            (local.set $a (f64x2.splat (f64.div (f64.const 1) (local.get $r))))
            (local.set $q (i32.add (local.get $q) (i32.const 8)))
            (block $sdone
              (loop $sloop
                (br_if $sdone (i32.gt_s (i32.add (local.get $q) (i32.const 16)) (local.get $end)))
                (v128.store (local.get $q) (f64x2.mul (v128.load (local.get $q)) (local.get $a)))
                (local.set $q (i32.add (local.get $q) (i32.const 16)))
                (br $sloop)))
            (if (i32.lt_s (local.get $q) (local.get $end))
              (then (f64.store (local.get $q) (f64.mul (f64.load (local.get $q)) (f64x2.extract_lane 0 (local.get $a))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cols)))
        (local.set $kb (i32.add (local.get $kb) (i32.const 4)))
        (br $blocks)))
    (i32.const -1))

  ;; The whole numeric factorisation (SupernodalCholesky.ts factorize, whose JavaScript path is the reference), so
  ;; that assembly, extend-add and the update-matrix stack run here too instead of in JavaScript between kernel
  ;; calls. Integer arrays (the SymbolicFactor's, and the stack offsets uStart) are passed as byte addresses of
  ;; i32 arrays; the double regions as element offsets: the factor at 0, the stack at $stack, the pivot
  ;; thresholds at $tolv, the matrix's CSR values at $a. $asmPtr[J] .. $asmPtr[J+1] are the assembly entries of
  ;; supernode J (asmDst ascending by supernode). Each block is zeroed just before it is assembled, while the
  ;; cache lines it then receives are still close. Returns -1, or the first pivot (new numbering) that is not
  ;; above its threshold $tol * a_jj.
  (func $factorize (export "factorize")
    (param $ns i32) (param $n i32)
    (param $superStart i32) (param $rowPtr i32) (param $valPtr i32) (param $relPtr i32) (param $relIdx i32)
    (param $firstChild i32) (param $nextSibling i32) (param $uStart i32)
    (param $asmPtr i32) (param $asmSrc i32) (param $asmDst i32) (param $diagSrc i32)
    (param $stack i32) (param $tolv i32) (param $a i32) (param $tol f64)
    (result i32)
    (local $J i32) (local $j i32) (local $f i32) (local $w i32) (local $m i32) (local $u i32) (local $off i32)
    (local $top i32) (local $uOff i32) (local $C i32) (local $uc i32) (local $r0 i32) (local $cOff i32)
    (local $jc i32) (local $t i32) (local $src i32) (local $dst i32) (local $pr i32) (local $pend i32)
    (local $q i32) (local $qend i32) (local $bad i32) (local $base i32) (local $d f64)
    ;; pivot thresholds
    (block $tdone
      (loop $tloop
        (br_if $tdone (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $q (i32.load (i32.add (local.get $diagSrc) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $d (f64.const 0))
        (if (i32.ge_s (local.get $q) (i32.const 0))
          (then (local.set $d (f64.load (i32.shl (i32.add (local.get $a) (local.get $q)) (i32.const 3))))))
        (f64.store (i32.shl (i32.add (local.get $tolv) (local.get $j)) (i32.const 3))
          (select (f64.mul (local.get $tol) (local.get $d)) (f64.const 0) (f64.gt (local.get $d) (f64.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $tloop)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_s (local.get $J) (local.get $ns)))
        (local.set $f (i32.load (i32.add (local.get $superStart) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $w (i32.sub (i32.load offset=4 (i32.add (local.get $superStart) (i32.shl (local.get $J) (i32.const 2))))
          (local.get $f)))
        (local.set $m (i32.sub (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $J) (i32.const 2))))
          (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $J) (i32.const 2))))))
        (local.set $u (i32.sub (local.get $m) (local.get $w)))
        (local.set $off (i32.load (i32.add (local.get $valPtr) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $uOff (local.get $top))
        ;; zero and assemble this block from A; zero this update matrix
        (memory.fill (i32.shl (local.get $off) (i32.const 3)) (i32.const 0)
          (i32.shl (i32.mul (local.get $w) (local.get $m)) (i32.const 3)))
        (local.set $q (i32.load (i32.add (local.get $asmPtr) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $qend (i32.load offset=4 (i32.add (local.get $asmPtr) (i32.shl (local.get $J) (i32.const 2)))))
        (block $adone
          (loop $aloop
            (br_if $adone (i32.ge_s (local.get $q) (local.get $qend)))
            (f64.store (i32.shl (i32.load (i32.add (local.get $asmDst) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 3))
              (f64.load (i32.shl (i32.add (local.get $a)
                (i32.load (i32.add (local.get $asmSrc) (i32.shl (local.get $q) (i32.const 2))))) (i32.const 3))))
            (local.set $q (i32.add (local.get $q) (i32.const 1)))
            (br $aloop)))
        (if (i32.gt_s (local.get $u) (i32.const 0))
          (then
            (memory.fill (i32.shl (i32.add (local.get $stack) (local.get $uOff)) (i32.const 3)) (i32.const 0)
              (i32.shl (i32.mul (local.get $u) (local.get $u)) (i32.const 3)))))
        ;; extend-add the children's update matrices (lower triangles) into this block and this update matrix
        (local.set $C (i32.load (i32.add (local.get $firstChild) (i32.shl (local.get $J) (i32.const 2)))))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.lt_s (local.get $C) (i32.const 0)))
            (local.set $r0 (i32.load (i32.add (local.get $relPtr) (i32.shl (local.get $C) (i32.const 2)))))
            (local.set $uc (i32.sub (i32.load offset=4 (i32.add (local.get $relPtr) (i32.shl (local.get $C) (i32.const 2))))
              (local.get $r0)))
            (local.set $cOff (i32.add (local.get $stack)
              (i32.load (i32.add (local.get $uStart) (i32.shl (local.get $C) (i32.const 2))))))
            (local.set $pend (i32.add (local.get $relIdx) (i32.shl (i32.add (local.get $r0) (local.get $uc)) (i32.const 2))))
            (local.set $jc (i32.const 0))
            (block $jdone
              (loop $jloop
                (br_if $jdone (i32.ge_s (local.get $jc) (local.get $uc)))
                (local.set $pr (i32.add (local.get $relIdx) (i32.shl (i32.add (local.get $r0) (local.get $jc)) (i32.const 2))))
                (local.set $t (i32.load (local.get $pr)))
                ;; dst: byte address of row 0 of the target column (in the block, or in the update matrix, whose
                ;; rows are numbered from w)
                (if (i32.lt_s (local.get $t) (local.get $w))
                  (then (local.set $dst (i32.shl (i32.add (local.get $off) (i32.mul (local.get $t) (local.get $m))) (i32.const 3))))
                  (else (local.set $dst (i32.shl (i32.sub (i32.add (i32.add (local.get $stack) (local.get $uOff))
                    (i32.mul (i32.sub (local.get $t) (local.get $w)) (local.get $u))) (local.get $w)) (i32.const 3)))))
                (local.set $src (i32.shl (i32.add (i32.add (local.get $cOff) (i32.mul (local.get $jc) (local.get $uc))) (local.get $jc))
                  (i32.const 3)))
                (block $idone
                  (loop $iloop
                    (br_if $idone (i32.ge_u (local.get $pr) (local.get $pend)))
                    (local.set $q (i32.add (local.get $dst) (i32.shl (i32.load (local.get $pr)) (i32.const 3))))
                    (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.load (local.get $src))))
                    (local.set $pr (i32.add (local.get $pr) (i32.const 4)))
                    (local.set $src (i32.add (local.get $src) (i32.const 8)))
                    (br $iloop)))
                (local.set $jc (i32.add (local.get $jc) (i32.const 1)))
                (br $jloop)))
            (local.set $C (i32.load (i32.add (local.get $nextSibling) (i32.shl (local.get $C) (i32.const 2)))))
            (br $cloop)))
        (local.set $bad (call $panel (local.get $off) (local.get $m) (local.get $w) (i32.add (local.get $tolv) (local.get $f))))
        (if (i32.ge_s (local.get $bad) (i32.const 0)) (then (return (i32.add (local.get $f) (local.get $bad)))))
        (if (i32.gt_s (local.get $u) (i32.const 0))
          (then
            (call $syrk (i32.add (local.get $stack) (local.get $uOff)) (local.get $u)
              (i32.add (local.get $off) (local.get $w)) (local.get $m) (local.get $w))))
        ;; pop the children: this update matrix moves down to where the first child's began
        (local.set $C (i32.load (i32.add (local.get $firstChild) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $base (local.get $uOff))
        (if (i32.ge_s (local.get $C) (i32.const 0))
          (then (local.set $base (i32.load (i32.add (local.get $uStart) (i32.shl (local.get $C) (i32.const 2)))))))
        (if (i32.and (i32.gt_s (local.get $u) (i32.const 0)) (i32.ne (local.get $base) (local.get $uOff)))
          (then
            (memory.copy (i32.shl (i32.add (local.get $stack) (local.get $base)) (i32.const 3))
              (i32.shl (i32.add (local.get $stack) (local.get $uOff)) (i32.const 3))
              (i32.shl (i32.mul (local.get $u) (local.get $u)) (i32.const 3)))))
        (i32.store (i32.add (local.get $uStart) (i32.shl (local.get $J) (i32.const 2))) (local.get $base))
        (local.set $top (i32.add (local.get $base) (i32.mul (local.get $u) (local.get $u))))
        (local.set $J (i32.add (local.get $J) (i32.const 1)))
        (br $sloop)))
    (i32.const -1))

  ;; d[i] -= a * x[i] for i < n (byte addresses d and x).
  (func $axpyNeg (param $d i32) (param $x i32) (param $n i32) (param $a f64)
    (local $end i32) (local $va v128)
    (local.set $va (f64x2.splat (local.get $a)))
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $x (i32.sub (local.get $x) (local.get $d)))
    (block $done
      (loop $v
        (br_if $done (i32.gt_s (i32.add (local.get $d) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $d) (f64x2.sub (v128.load (local.get $d))
          (f64x2.mul (local.get $va) (v128.load (i32.add (local.get $d) (local.get $x))))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $v)))
    (if (i32.lt_s (local.get $d) (local.get $end))
      (then (f64.store (local.get $d) (f64.sub (f64.load (local.get $d))
        (f64.mul (local.get $a) (f64.load (i32.add (local.get $d) (local.get $x)))))))))

  ;; sum_i x[i] y[i] for i < n (byte addresses).
  (func $dot (param $x i32) (param $y i32) (param $n i32) (result f64)
    (local $end i32) (local $acc v128) (local $s f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $y (i32.sub (local.get $y) (local.get $x)))
    (block $done
      (loop $v
        (br_if $done (i32.gt_s (i32.add (local.get $x) (i32.const 16)) (local.get $end)))
        (local.set $acc (f64x2.add (local.get $acc)
          (f64x2.mul (v128.load (local.get $x)) (v128.load (i32.add (local.get $x) (local.get $y))))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $v)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
    (if (i32.lt_s (local.get $x) (local.get $end))
      (then (local.set $s (f64.add (local.get $s)
        (f64.mul (f64.load (local.get $x)) (f64.load (i32.add (local.get $x) (local.get $y))))))))
    (local.get $s))

  ;; Solve L L^T z = y in place, y in the pivot numbering at element offset $y, with u-long work at $tmp
  ;; (SupernodalCholesky.ts solve, whose JavaScript path is the reference). Integer arrays as byte addresses.
  ;; Forward per supernode: the dense triangle, then the rows below accumulated in tmp (four columns per sweep,
  ;; two rows per SIMD operation) and scattered once; backward: gather, dot products, then the triangle.
  (func $solve (export "solve")
    (param $ns i32) (param $superStart i32) (param $rowPtr i32) (param $rowIdx i32) (param $valPtr i32)
    (param $y i32) (param $tmp i32)
    (local $J i32) (local $f i32) (local $w i32) (local $m i32) (local $u i32) (local $mb i32) (local $k i32)
    (local $ck i32) (local $yf i32) (local $tb i32) (local $tend i32) (local $q i32) (local $ri i32) (local $c0 i32)
    (local $yk f64) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $y (i32.shl (local.get $y) (i32.const 3)))
    (local.set $tb (i32.shl (local.get $tmp) (i32.const 3)))
    ;; forward
    (local.set $J (i32.const 0))
    (block $fdone
      (loop $floop
        (br_if $fdone (i32.ge_s (local.get $J) (local.get $ns)))
        (local.set $f (i32.load (i32.add (local.get $superStart) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $w (i32.sub (i32.load offset=4 (i32.add (local.get $superStart) (i32.shl (local.get $J) (i32.const 2))))
          (local.get $f)))
        (local.set $ri (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $m (i32.sub (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $J) (i32.const 2))))
          (local.get $ri)))
        (local.set $u (i32.sub (local.get $m) (local.get $w)))
        (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
        (local.set $yf (i32.add (local.get $y) (i32.shl (local.get $f) (i32.const 3))))
        (local.set $ck (i32.shl (i32.load (i32.add (local.get $valPtr) (i32.shl (local.get $J) (i32.const 2)))) (i32.const 3)))
        ;; triangle
        (local.set $k (i32.const 0))
        (block $tdone
          (loop $tloop
            (br_if $tdone (i32.ge_s (local.get $k) (local.get $w)))
            (local.set $q (i32.add (local.get $ck) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $yk (f64.div (f64.load (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))
              (f64.load (local.get $q))))
            (f64.store (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))) (local.get $yk))
            (call $axpyNeg (i32.add (local.get $yf) (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 3)))
              (i32.add (local.get $q) (i32.const 8)) (i32.sub (i32.sub (local.get $w) (local.get $k)) (i32.const 1)) (local.get $yk))
            (local.set $ck (i32.add (local.get $ck) (local.get $mb)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $tloop)))
        (if (i32.gt_s (local.get $u) (i32.const 0))
          (then
            (memory.fill (local.get $tb) (i32.const 0) (i32.shl (local.get $u) (i32.const 3)))
            (local.set $tend (i32.add (local.get $tb) (i32.shl (local.get $u) (i32.const 3))))
            ;; ck back to column 0, rows from w
            (local.set $ck (i32.add (i32.shl (i32.load (i32.add (local.get $valPtr) (i32.shl (local.get $J) (i32.const 2)))) (i32.const 3))
              (i32.shl (local.get $w) (i32.const 3))))
            (local.set $k (i32.const 0))
            (block $gdone
              (loop $gloop
                (br_if $gdone (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $w)))
                (local.set $v0 (f64x2.splat (f64.load (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))))
                (local.set $v1 (f64x2.splat (f64.load offset=8 (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))))
                (local.set $v2 (f64x2.splat (f64.load offset=16 (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))))
                (local.set $v3 (f64x2.splat (f64.load offset=24 (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))))
                ;; q walks tmp; column c's row is at c0 + (q - tb) + c * mb
                (local.set $q (local.get $tb))
                (local.set $c0 (i32.sub (local.get $ck) (local.get $tb)))
                (block $idone
                  (loop $iloop
                    (br_if $idone (i32.gt_s (i32.add (local.get $q) (i32.const 16)) (local.get $tend)))
                    (v128.store (local.get $q)
                      (f64x2.add (v128.load (local.get $q))
                        (f64x2.add
                          (f64x2.add
                            (f64x2.mul (local.get $v0) (v128.load (i32.add (local.get $q) (local.get $c0))))
                            (f64x2.mul (local.get $v1) (v128.load (i32.add (i32.add (local.get $q) (local.get $c0)) (local.get $mb)))))
                          (f64x2.add
                            (f64x2.mul (local.get $v2) (v128.load (i32.add (i32.add (local.get $q) (local.get $c0))
                              (i32.shl (local.get $mb) (i32.const 1)))))
                            (f64x2.mul (local.get $v3) (v128.load (i32.add (i32.add (local.get $q) (local.get $c0))
                              (i32.mul (local.get $mb) (i32.const 3)))))))))
                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                    (br $iloop)))
                (if (i32.lt_s (local.get $q) (local.get $tend))
                  (then
                    (f64.store (local.get $q)
                      (f64.add (f64.load (local.get $q))
                        (f64.add
                          (f64.add
                            (f64.mul (f64x2.extract_lane 0 (local.get $v0)) (f64.load (i32.add (local.get $q) (local.get $c0))))
                            (f64.mul (f64x2.extract_lane 0 (local.get $v1))
                              (f64.load (i32.add (i32.add (local.get $q) (local.get $c0)) (local.get $mb)))))
                          (f64.add
                            (f64.mul (f64x2.extract_lane 0 (local.get $v2))
                              (f64.load (i32.add (i32.add (local.get $q) (local.get $c0)) (i32.shl (local.get $mb) (i32.const 1)))))
                            (f64.mul (f64x2.extract_lane 0 (local.get $v3))
                              (f64.load (i32.add (i32.add (local.get $q) (local.get $c0)) (i32.mul (local.get $mb) (i32.const 3)))))))))))
                (local.set $ck (i32.add (local.get $ck) (i32.shl (local.get $mb) (i32.const 2))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $gloop)))
            ;; remaining columns one at a time: tmp -= -yk * column
            (block $rdone
              (loop $rloop
                (br_if $rdone (i32.ge_s (local.get $k) (local.get $w)))
                (call $axpyNeg (local.get $tb) (local.get $ck) (local.get $u)
                  (f64.neg (f64.load (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))))
                (local.set $ck (i32.add (local.get $ck) (local.get $mb)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $rloop)))
            ;; scatter: y[rowIdx[ri + w + i]] -= tmp[i]
            (local.set $c0 (i32.add (local.get $rowIdx) (i32.shl (i32.add (local.get $ri) (local.get $w)) (i32.const 2))))
            (local.set $q (local.get $tb))
            (block $sdone
              (loop $sloop
                (br_if $sdone (i32.ge_s (local.get $q) (local.get $tend)))
                (local.set $k (i32.add (local.get $y) (i32.shl (i32.load (local.get $c0)) (i32.const 3))))
                (f64.store (local.get $k) (f64.sub (f64.load (local.get $k)) (f64.load (local.get $q))))
                (local.set $c0 (i32.add (local.get $c0) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 8)))
                (br $sloop)))))
        (local.set $J (i32.add (local.get $J) (i32.const 1)))
        (br $floop)))
    ;; backward
    (local.set $J (local.get $ns))
    (block $bdone
      (loop $bloop
        (br_if $bdone (i32.le_s (local.get $J) (i32.const 0)))
        (local.set $J (i32.sub (local.get $J) (i32.const 1)))
        (local.set $f (i32.load (i32.add (local.get $superStart) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $w (i32.sub (i32.load offset=4 (i32.add (local.get $superStart) (i32.shl (local.get $J) (i32.const 2))))
          (local.get $f)))
        (local.set $ri (i32.load (i32.add (local.get $rowPtr) (i32.shl (local.get $J) (i32.const 2)))))
        (local.set $m (i32.sub (i32.load offset=4 (i32.add (local.get $rowPtr) (i32.shl (local.get $J) (i32.const 2))))
          (local.get $ri)))
        (local.set $u (i32.sub (local.get $m) (local.get $w)))
        (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
        (local.set $yf (i32.add (local.get $y) (i32.shl (local.get $f) (i32.const 3))))
        (if (i32.gt_s (local.get $u) (i32.const 0))
          (then
            ;; gather tmp[i] = y[rowIdx[ri + w + i]]
            (local.set $tend (i32.add (local.get $tb) (i32.shl (local.get $u) (i32.const 3))))
            (local.set $c0 (i32.add (local.get $rowIdx) (i32.shl (i32.add (local.get $ri) (local.get $w)) (i32.const 2))))
            (local.set $q (local.get $tb))
            (block $gdone2
              (loop $gloop2
                (br_if $gdone2 (i32.ge_s (local.get $q) (local.get $tend)))
                (f64.store (local.get $q) (f64.load (i32.add (local.get $y) (i32.shl (i32.load (local.get $c0)) (i32.const 3)))))
                (local.set $c0 (i32.add (local.get $c0) (i32.const 4)))
                (local.set $q (i32.add (local.get $q) (i32.const 8)))
                (br $gloop2)))
            (local.set $ck (i32.add (i32.shl (i32.load (i32.add (local.get $valPtr) (i32.shl (local.get $J) (i32.const 2)))) (i32.const 3))
              (i32.shl (local.get $w) (i32.const 3))))
            (local.set $k (i32.const 0))
            (block $ddone
              (loop $dloop
                (br_if $ddone (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $w)))
                (local.set $s0 (v128.const f64x2 0 0))
                (local.set $s1 (v128.const f64x2 0 0))
                (local.set $s2 (v128.const f64x2 0 0))
                (local.set $s3 (v128.const f64x2 0 0))
                (local.set $q (local.get $tb))
                (local.set $c0 (i32.sub (local.get $ck) (local.get $tb)))
                (block $idone2
                  (loop $iloop2
                    (br_if $idone2 (i32.gt_s (i32.add (local.get $q) (i32.const 16)) (local.get $tend)))
                    (local.set $v0 (v128.load (local.get $q)))
                    (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $v0)
                      (v128.load (i32.add (local.get $q) (local.get $c0))))))
                    (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $v0)
                      (v128.load (i32.add (i32.add (local.get $q) (local.get $c0)) (local.get $mb))))))
                    (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $v0)
                      (v128.load (i32.add (i32.add (local.get $q) (local.get $c0)) (i32.shl (local.get $mb) (i32.const 1)))))))
                    (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $v0)
                      (v128.load (i32.add (i32.add (local.get $q) (local.get $c0)) (i32.mul (local.get $mb) (i32.const 3)))))))
                    (local.set $q (i32.add (local.get $q) (i32.const 16)))
                    (br $iloop2)))
                (if (i32.lt_s (local.get $q) (local.get $tend))
                  (then
                    (local.set $v0 (f64x2.replace_lane 1 (f64x2.splat (f64.load (local.get $q))) (f64.const 0)))
                    (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $v0)
                      (f64x2.splat (f64.load (i32.add (local.get $q) (local.get $c0)))))))
                    (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $v0)
                      (f64x2.splat (f64.load (i32.add (i32.add (local.get $q) (local.get $c0)) (local.get $mb)))))))
                    (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $v0)
                      (f64x2.splat (f64.load (i32.add (i32.add (local.get $q) (local.get $c0)) (i32.shl (local.get $mb) (i32.const 1))))))))
                    (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $v0)
                      (f64x2.splat (f64.load (i32.add (i32.add (local.get $q) (local.get $c0)) (i32.mul (local.get $mb) (i32.const 3))))))))))
                (local.set $q (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))
                (f64.store (local.get $q) (f64.sub (f64.load (local.get $q))
                  (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))))
                (f64.store offset=8 (local.get $q) (f64.sub (f64.load offset=8 (local.get $q))
                  (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1)))))
                (f64.store offset=16 (local.get $q) (f64.sub (f64.load offset=16 (local.get $q))
                  (f64.add (f64x2.extract_lane 0 (local.get $s2)) (f64x2.extract_lane 1 (local.get $s2)))))
                (f64.store offset=24 (local.get $q) (f64.sub (f64.load offset=24 (local.get $q))
                  (f64.add (f64x2.extract_lane 0 (local.get $s3)) (f64x2.extract_lane 1 (local.get $s3)))))
                (local.set $ck (i32.add (local.get $ck) (i32.shl (local.get $mb) (i32.const 2))))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $dloop)))
            (block $rdone2
              (loop $rloop2
                (br_if $rdone2 (i32.ge_s (local.get $k) (local.get $w)))
                (local.set $q (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))
                (f64.store (local.get $q) (f64.sub (f64.load (local.get $q)) (call $dot (local.get $ck) (local.get $tb) (local.get $u))))
                (local.set $ck (i32.add (local.get $ck) (local.get $mb)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $rloop2)))))
        ;; triangle, last column first: y_k = (y_k - L[k+1..w-1, k] . y[k+1..w-1]) / L_kk
        (local.set $k (local.get $w))
        (block $tdone2
          (loop $tloop2
            (br_if $tdone2 (i32.le_s (local.get $k) (i32.const 0)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (local.set $ck (i32.add (i32.shl (i32.load (i32.add (local.get $valPtr) (i32.shl (local.get $J) (i32.const 2)))) (i32.const 3))
              (i32.mul (local.get $k) (local.get $mb))))
            (local.set $q (i32.add (local.get $yf) (i32.shl (local.get $k) (i32.const 3))))
            (f64.store (local.get $q)
              (f64.div
                (f64.sub (f64.load (local.get $q))
                  (call $dot (i32.add (i32.add (local.get $ck) (i32.shl (local.get $k) (i32.const 3))) (i32.const 8))
                    (i32.add (local.get $q) (i32.const 8)) (i32.sub (i32.sub (local.get $w) (local.get $k)) (i32.const 1))))
                (f64.load (i32.add (local.get $ck) (i32.shl (local.get $k) (i32.const 3))))))
            (br $tloop2)))
        (br $bloop))))
)
