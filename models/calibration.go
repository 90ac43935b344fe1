package models

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Calibration is a linear logistic-regression fusion/calibration map from K
// raw scores to a natural-log likelihood ratio:
//
//	llr = Σ_k Weights[k]·s_k + Bias.
type Calibration struct {
	Weights []float64
	Bias    float64
	// PEff is the effective target prior the map was trained for (informational).
	PEff float64
}

// Apply returns the calibrated LLR of one trial's raw scores (len K).
func (c *Calibration) Apply(scores ...float64) float64 {
	s := c.Bias
	for k, w := range c.Weights {
		s += w * scores[k]
	}
	return s
}

// Validate checks that the coefficients are finite.
func (c *Calibration) Validate() error {
	if len(c.Weights) == 0 {
		return errors.New("models: calibration has no weights")
	}
	for _, v := range append([]float64{c.Bias}, c.Weights...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("models: calibration has a non-finite coefficient")
		}
	}
	return nil
}

// TrainCalibration fits the prior-weighted logistic regression of Brümmer's
// FoCal: with τ = logit(pEff) it minimises the cross-entropy
//
//	pEff/N_t Σ_tar log(1 + e^{−(llr_i + τ)}) + (1−pEff)/N_n Σ_non log(1 + e^{llr_j + τ})
//
// over (w, b), llr = wᵀs + b, by Newton's method with step halving (the
// objective is convex; a 1e-9 ridge keeps the Hessian invertible). tar and
// non hold one row of K raw scores per trial. pEff in (0,1); 0.5 is neutral,
// 0.01 emphasises the low false-accept region.
func TrainCalibration(tar, non [][]float64, pEff float64) (*Calibration, error) {
	if len(tar) == 0 || len(non) == 0 {
		return nil, errors.New("models: calibration needs target and non-target trials")
	}
	if !(pEff > 0 && pEff < 1) {
		return nil, fmt.Errorf("models: effective prior %v outside (0,1)", pEff)
	}
	K := len(tar[0])
	for _, rows := range [][][]float64{tar, non} {
		for _, r := range rows {
			if len(r) != K {
				return nil, errors.New("models: calibration rows have different numbers of scores")
			}
			for _, v := range r {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, errors.New("models: non-finite score in calibration data")
				}
			}
		}
	}
	tau := math.Log(pEff / (1 - pEff))
	wt, wn := pEff/float64(len(tar)), (1-pEff)/float64(len(non))
	P := K + 1
	theta := make([]float64, P)
	grad := make([]float64, P)
	hess := mat.NewSymDense(P, nil)
	z := make([]float64, P)
	obj := func(th []float64) float64 {
		o := 0.0
		for _, r := range tar {
			o += wt * softplus(-(lin(th, r) + tau))
		}
		for _, r := range non {
			o += wn * softplus(lin(th, r)+tau)
		}
		return o
	}
	cur := obj(theta)
	for it := 0; it < 100; it++ {
		clear(grad)
		hess.Zero()
		acc := func(r []float64, y, w float64) {
			a := lin(theta, r) + tau
			// d/da of w·softplus(−y a) = −w·y·σ(−y a); second derivative w·σ(a)σ(−a).
			g := -w * y * sigmoid(-y*a)
			h := w * sigmoid(a) * sigmoid(-a)
			copy(z, r)
			z[K] = 1
			for i := 0; i < P; i++ {
				grad[i] += g * z[i]
				for j := i; j < P; j++ {
					hess.SetSym(i, j, hess.At(i, j)+h*z[i]*z[j])
				}
			}
		}
		for _, r := range tar {
			acc(r, 1, wt)
		}
		for _, r := range non {
			acc(r, -1, wn)
		}
		for i := 0; i < P; i++ {
			hess.SetSym(i, i, hess.At(i, i)+1e-9)
		}
		var ch mat.Cholesky
		if !ch.Factorize(hess) {
			return nil, errors.New("models: calibration Hessian not positive definite")
		}
		var step mat.VecDense
		if err := ch.SolveVecTo(&step, mat.NewVecDense(P, grad)); err != nil {
			return nil, err
		}
		next := make([]float64, P)
		alpha := 1.0
		improved := false
		for ls := 0; ls < 40; ls++ {
			for i := range next {
				next[i] = theta[i] - alpha*step.AtVec(i)
			}
			if o := obj(next); o <= cur {
				cur = o
				copy(theta, next)
				improved = true
				break
			}
			alpha /= 2
		}
		if !improved || alpha*mat.Norm(&step, math.Inf(1)) < 1e-10 {
			break
		}
	}
	return &Calibration{Weights: theta[:K:K], Bias: theta[K], PEff: pEff}, nil
}

func lin(th, r []float64) float64 {
	K := len(r)
	return dot(th[:K], r) + th[K]
}

// softplus returns log(1 + e^x) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
