#!/usr/bin/python3
"""Scores the probe's feature sets: one 64-component diagonal GMM on the bona fide training frames
and one on the eleven training families' (every 2nd frame, up to 150,000 each, 15 EM
iterations), each file scored by its mean frame log-likelihood ratio (every 2nd frame); EER per
family against the dev bona fide eval files, clean and mobile-codec. MODE=llr (default) is the
ASVspoof two-GMM ratio; MODE=oc scores by the bona fide GMM alone (one-class); MODE=ubm by a GMM
on both classes against the bona fide one. Families marked * were never trained on.
Usage: [MODE=llr|oc|ubm] /usr/bin/python3 bench/spoof/probe/gmm_lofo.py PREFIX [K] [FEATURE...]
"""
import numpy as np, sys
def logsumexp(a,ax):
    m=a.max(ax,keepdims=True); return (m+np.log(np.exp(a-m).sum(ax,keepdims=True))).squeeze(ax)
class GMM:
    def __init__(s,K): s.K=K
    def ll_comp(s,X):
        # log N(x|mu,var)+log w  -> T x K
        iv=1/s.var
        a=-0.5*((X**2)@iv.T - 2*X@(s.mu*iv).T + (s.mu**2*iv).sum(1)) - 0.5*np.log(2*np.pi*s.var).sum(1)+np.log(s.w)
        return a
    def fit(s,X,it=15,seed=0):
        rng=np.random.RandomState(seed); T,D=X.shape
        s.mu=X[rng.choice(T,s.K,replace=False)].copy(); s.var=np.tile(X.var(0),(s.K,1)); s.w=np.ones(s.K)/s.K
        floor=0.01*X.var(0)
        for i in range(it):
            A=s.ll_comp(X); L=logsumexp(A,1); G=np.exp(A-L[:,None])
            n=G.sum(0)+1e-10
            s.w=n/n.sum(); s.mu=(G.T@X)/n[:,None]; s.var=np.maximum((G.T@(X**2))/n[:,None]-s.mu**2,floor)
        return s
    def score(s,X): return logsumexp(s.ll_comp(X),1)
def eer(b,s):
    th=np.sort(np.concatenate([b,s])); best=1.0
    for t in th[::max(1,len(th)//2000)]:
        best=min(best,max((b>=t).mean(),(s<t).mean()))
    return 100*best
pre=sys.argv[1]; K=int(sys.argv[2]) if len(sys.argv)>2 else 64
meta=np.load(pre+'_meta.npy')
train_fams={'espeak-ng','festival-diphone','festival-hts','flite-cg','flite-diphone','replay','replay-room','vocoder-lpc','sam','gnuspeech','neural-vocoder'}
for feat in sys.argv[3:] if len(sys.argv)>3 else ['lfcc','cqcc']:
    F=np.load(pre+'_'+feat+'.npy',allow_pickle=True)
    rng=np.random.RandomState(0)
    def pool(idx,cap=150000):
        X=np.vstack([F[i][::2] for i in idx if F[i] is not None and len(F[i])])
        return X[rng.choice(len(X),min(cap,len(X)),replace=False)]
    bt=[i for i,m in enumerate(meta) if m[1]=='bonafide' and m[2]=='train']
    st=[i for i,m in enumerate(meta) if m[1] in train_fams and m[2]=='train']
    gb=GMM(K).fit(pool(bt)); gs=GMM(K).fit(pool(st))
    import os
    mode=os.environ.get('MODE','llr')
    if mode=='ubm':
        gu=GMM(K).fit(np.vstack([pool(bt,75000),pool(st,75000)]))
    def s1(X):
        if mode=='llr': return (gs.score(X)-gb.score(X)).mean()
        if mode=='oc': return -gb.score(X).mean()
        if mode=='ubm': return (gu.score(X)-gb.score(X)).mean()
    sc=np.array([ s1(F[i][::2]) if F[i] is not None and len(F[i]) else np.nan for i in range(len(meta))])
    out=[]
    for codec in ('none','mobile'):
        b=sc[[i for i,m in enumerate(meta) if m[1]=='bonafide' and m[2]=='eval' and m[3]==codec]]
        b=b[~np.isnan(b)]
        fams=sorted({m[1] for m in meta if m[2]=='eval' and m[1]!='bonafide'})
        r={}
        for f in fams:
            s=sc[[i for i,m in enumerate(meta) if m[1]==f and m[2]=='eval' and m[3]==codec]]; s=s[~np.isnan(s)]
            r[f]=eer(b,s)
        out.append(r)
    print('==',feat,'K',K)
    for f in out[0]:
        tag='*' if f not in train_fams else ' '
        print('%s %-18s %6.2f %6.2f'%(tag,f,out[0][f],out[1][f]))
    pr=[f for f in out[0] if f not in train_fams]
    print('mean never-trained: %.2f / %.2f   trained: %.2f / %.2f'%(np.mean([out[0][f] for f in pr]),np.mean([out[1][f] for f in pr]),np.mean([out[0][f] for f in out[0] if f in train_fams]),np.mean([out[1][f] for f in out[0] if f in train_fams])))
    sys.stdout.flush()
