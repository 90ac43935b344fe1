#!/usr/bin/python3
"""Does the pitch-formant relation tell a voice changer? A Gaussian classifier (full covariance per
class) fitted on the training split of vc_f0_formants.py's output, EER on the eval split (dev
speakers) for F0 alone, the formants alone, both, and every statistic.
Usage: /usr/bin/python3 bench/spoof/probe/vc_f0_formants_eval.py OUT.tsv
"""
import sys
import numpy as np
rows=[l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
def sel(fam,split,codec): 
    return np.array([[float(v) for v in r[4:]] for r in rows if r[1]==fam and r[2]==split and r[3]==codec])
def eer(s_bona,s_spoof):
    # spoof score higher = spoof
    th=np.sort(np.concatenate([s_bona,s_spoof])); best=1
    for t in th:
        fa=(s_bona>=t).mean(); fr=(s_spoof<t).mean(); best=min(best,max(fa,fr))
    return best*100
for name,cols in [('f0',[0]),('forms',[2,3,4]),('f0+forms',[0,2,3,4]),('all',[0,1,2,3,4,5])]:
    Xb=np.concatenate([sel('bonafide','train','none'),sel('bonafide','train','mobile')])[:,cols]
    Xs=np.concatenate([sel('voice-changer','train','none'),sel('voice-changer','train','mobile')])[:,cols]
    mb,ms=Xb.mean(0),Xs.mean(0)
    Cb=np.cov(Xb.T).reshape(len(cols),len(cols)); Cs=np.cov(Xs.T).reshape(len(cols),len(cols))
    def ll(X,m,C):
        d=X-m; Ci=np.linalg.inv(C); return -0.5*np.einsum('ij,jk,ik->i',d,Ci,d)-0.5*np.linalg.slogdet(C)[1]
    res=[]
    for codec in ['none','mobile']:
        Eb=sel('bonafide','eval',codec)[:,cols]; Es=sel('voice-changer','eval',codec)[:,cols]
        sb=ll(Eb,ms,Cs)-ll(Eb,mb,Cb); ss=ll(Es,ms,Cs)-ll(Es,mb,Cb)
        res.append(eer(sb,ss))
    print(name, 'QDA EER clean %.1f codec %.1f'%tuple(res))
# correlation between f0 and formants in bona fide
Xb=sel('bonafide','train','none')
print('bona corr f0 vs F1,F2,F3', [np.corrcoef(Xb[:,0],Xb[:,k])[0,1].round(2) for k in (2,3,4)])
Xs=sel('voice-changer','train','none')
print('vc corr', [np.corrcoef(Xs[:,0],Xs[:,k])[0,1].round(2) for k in (2,3,4)])
print('means bona',Xb.mean(0).round(3),'vc',Xs.mean(0).round(3))
